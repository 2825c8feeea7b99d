/* SPDX-License-Identifier: MIT */
/*
 * oracle.h - expectations written down from the kernel's documentation,
 * independent of kprim's code, for the tests and fuzzers that check it.
 */
#ifndef KPRIM_FUZZ_ORACLE_H
#define KPRIM_FUZZ_ORACLE_H

#include <stddef.h>

/*
 * The kmalloc bucket of a request (include/linux/slab.h, x86-64): 8 .. 192
 * with 96 and 192, powers of two to 8 KiB, then whole pages by power of two.
 */
static inline size_t oracle_kmalloc_bucket(size_t size)
{
	static const size_t buckets[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048,
					  4096, 8192 };

	for (size_t i = 0; i < sizeof(buckets) / sizeof(buckets[0]); i++)
		if (size <= buckets[i])
			return buckets[i];
	for (size_t pages = 4096; ; pages *= 2)
		if (size <= pages)
			return pages;
}

#endif /* KPRIM_FUZZ_ORACLE_H */
