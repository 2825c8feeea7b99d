/* SPDX-License-Identifier: MIT */
/*
 * fdp.h - a fuzzed-data provider for C fuzz targets.
 *
 * Takes integers, bounded choices and byte runs from the front of the
 * input, so a seed reads left to right as the operations it encodes. When
 * the input runs out every call returns 0 (or the range's low end) and
 * fdp_empty() turns true; targets stop on that rather than looping on
 * zeros. A range takes only as many bytes as it needs, so small choices
 * cost one byte and the fuzzer's byte mutations map onto single decisions.
 */
#ifndef KPRIM_FUZZ_FDP_H
#define KPRIM_FUZZ_FDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fdp {
	const uint8_t *data;
	size_t size;
};

static inline void fdp_init(struct fdp *f, const uint8_t *data, size_t size)
{
	f->data = data;
	f->size = size;
}

static inline bool fdp_empty(const struct fdp *f)
{
	return f->size == 0;
}

static inline size_t fdp_remaining(const struct fdp *f)
{
	return f->size;
}

/* Little-endian integer of n bytes (n <= 8); missing bytes read as 0. */
uint64_t fdp_uint(struct fdp *f, size_t n);

static inline uint8_t fdp_u8(struct fdp *f)
{
	return (uint8_t)fdp_uint(f, 1);
}

static inline uint16_t fdp_u16(struct fdp *f)
{
	return (uint16_t)fdp_uint(f, 2);
}

static inline uint32_t fdp_u32(struct fdp *f)
{
	return (uint32_t)fdp_uint(f, 4);
}

static inline uint64_t fdp_u64(struct fdp *f)
{
	return fdp_uint(f, 8);
}

static inline bool fdp_bool(struct fdp *f)
{
	return fdp_u8(f) & 1;
}

/* A value in [lo, hi] (inclusive; lo <= hi). */
uint64_t fdp_range(struct fdp *f, uint64_t lo, uint64_t hi);
/* A signed value in [lo, hi]. */
int64_t fdp_range_signed(struct fdp *f, int64_t lo, int64_t hi);

/* An index in [0, n) (n >= 1). */
static inline unsigned int fdp_choice(struct fdp *f, unsigned int n)
{
	return (unsigned int)fdp_range(f, 0, n - 1);
}

/* One of the n values in table. */
#define fdp_pick(f, table)	((table)[fdp_choice((f), sizeof(table) / sizeof((table)[0]))])

/* Copy up to n bytes into out, zero the rest; returns how many came from the input. */
size_t fdp_bytes(struct fdp *f, void *out, size_t n);

#endif /* KPRIM_FUZZ_FDP_H */
