// SPDX-License-Identifier: MIT
/*
 * fdp.c - the out-of-line parts of the fuzzed-data provider.
 */
#include <string.h>

#include "core/compiler.h"
#include "fdp.h"

/*
 * The provider's loops and range arithmetic are left out of coverage:
 * their compares say nothing about the target, and they run for every
 * value every input takes.
 */
__no_sanitize_coverage uint64_t fdp_uint(struct fdp *f, size_t n)
{
	uint64_t v = 0;
	size_t take = n < f->size ? n : f->size;

	for (size_t i = 0; i < take; i++)
		v |= (uint64_t)f->data[i] << (8 * i);
	f->data += take;
	f->size -= take;
	return v;
}

__no_sanitize_coverage uint64_t fdp_range(struct fdp *f, uint64_t lo, uint64_t hi)
{
	uint64_t span = hi - lo;
	size_t bytes = 0;

	if (span == 0)
		return lo;
	for (uint64_t s = span; s; s >>= 8)
		bytes++;
	if (span == UINT64_MAX)
		return lo + fdp_uint(f, bytes);
	return lo + fdp_uint(f, bytes) % (span + 1);
}

int64_t fdp_range_signed(struct fdp *f, int64_t lo, int64_t hi)
{
	uint64_t off = fdp_range(f, 0, (uint64_t)hi - (uint64_t)lo);

	return (int64_t)((uint64_t)lo + off);
}

size_t fdp_bytes(struct fdp *f, void *out, size_t n)
{
	size_t take = n < f->size ? n : f->size;

	memcpy(out, f->data, take);
	memset((char *)out + take, 0, n - take);
	f->data += take;
	f->size -= take;
	return take;
}
