// SPDX-License-Identifier: MIT
/*
 * malloc.c - libkprim-malloc.so: the C allocator's calls on kprim's
 * kmalloc/kvmalloc, for LD_PRELOAD into any program.
 *
 * Every call allocates as a kernel caller with GFP_KERNEL would (blocking
 * allowed; __GFP_NOWARN, since a program's failed malloc is the program's
 * to report): up to KMALLOC_MAX_CACHE_SIZE from the kmalloc caches,
 * above that kvmalloc's order (a 2^order block of pages up to
 * KMALLOC_MAX_SIZE, else a vmalloc area), and __vmalloc past INT_MAX,
 * which kvmalloc refuses (mm/util.c). What C asks for beyond the kernel:
 *
 * - malloc(0) is a unique pointer (kmalloc(0)'s ZERO_SIZE_PTR is one
 *   address for everyone), realloc(p, 0) frees p and returns NULL, as
 *   glibc documents; failures set errno to ENOMEM; free() keeps errno.
 * - Alignment: kmalloc's buckets are naturally aligned (mm/slab_common.c
 *   create_kmalloc_caches(), debug or not: 96 and 192 to 32 and 64), large
 *   blocks to their size, vmalloc areas to theirs up to 4 MiB (page.c), so
 *   an alignment above 16 is met by asking for a power of two at least as
 *   large; one above 4 MiB cannot be.
 * - Pointers kprim did not hand out (allocated by glibc before this
 *   library was in place, or through __libc_malloc) are told apart by the
 *   page map and go back to glibc.
 * - kprim makes its arena and kmalloc caches on first use, since other
 *   libraries' constructors call malloc before kprim's have run; nothing
 *   on an allocation path calls malloc (no stdio on it; reports are
 *   formatted on the stack); fork() is safe in threaded programs
 *   (kmem_fork_prepare()).
 *
 * Built twice: release for speed, debug so that a program runs under
 * slub_debug, kmemleak (KPRIM_KMEMLEAK=1 prints what is left at exit) and
 * the double-free and invalid-free reports, whose default handler prints
 * the report and aborts.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/slub.h"
#include "alloc/vmalloc.h"

#define EXPORT		__attribute__((visibility("default")))
#define MALLOC_GFP	(GFP_KERNEL | __GFP_NOWARN)
#define MALLOC_ALIGN	16	/* what every bucket of 16 bytes and more has (glibc's too) */
#define MAX_ALIGN	(PAGE_SIZE << MAX_PAGE_ORDER)

/* glibc's own allocator, for pointers that are not kprim's (GLIBC_2.2.5). */
extern void __libc_free(void *p);
extern void *__libc_realloc(void *p, size_t size);

static __always_inline bool is_kprim(const void *p)
{
	return kp_page_lookup(p) != NULL;
}

static void *alloc_bytes(size_t size)
{
	void *p;

	if (unlikely(size > INT_MAX))
		p = __vmalloc(size, MALLOC_GFP);
	else
		p = kvmalloc(size ? size : 1, MALLOC_GFP);
	if (unlikely(!p))
		errno = ENOMEM;
	return p;
}

/* The bytes the caller may use: what it asked for where kprim tracks it (debug caches). */
static size_t usable_size(const void *p)
{
	struct kp_page *pg = kp_page_lookup(p);

	if (is_vmalloc_addr(p))
		return vmalloc_size(p);
	if (pg->type == KP_PAGE_SLAB)
		return slab_orig_size(((struct slab *)pg->owner)->cache, (void *)p);
	return ksize(p);
}

static void *align_alloc(size_t align, size_t size)
{
	size_t need = size > align ? size : align;
	void *p;

	if (align <= MALLOC_ALIGN)
		return alloc_bytes(size > MALLOC_ALIGN / 2 ? size : MALLOC_ALIGN);
	if (align > MAX_ALIGN || need > SIZE_MAX / 2) {
		errno = ENOMEM;
		return NULL;
	}
	/* A power of two: a naturally aligned bucket, block or area. */
	need = 1UL << (64 - __builtin_clzl(need - 1));
	p = alloc_bytes(need);
	if (p && ((uintptr_t)p & (align - 1))) {	/* a vmalloc area above MAX_ALIGN */
		kvfree(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

EXPORT void *malloc(size_t size)
{
	return alloc_bytes(size);
}

EXPORT void free(void *p)
{
	int saved = errno;

	if (likely(is_kprim(p)))
		kvfree(p);
	else if (p)
		__libc_free(p);
	errno = saved;
}

EXPORT void *calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes))) {
		errno = ENOMEM;
		return NULL;
	}
	if (unlikely(bytes > INT_MAX))
		p = __vmalloc(bytes, MALLOC_GFP | __GFP_ZERO);
	else
		p = kvzalloc(bytes ? bytes : 1, MALLOC_GFP);
	if (unlikely(!p))
		errno = ENOMEM;
	return p;
}

EXPORT void *realloc(void *p, size_t size)
{
	void *n;

	if (!p)
		return alloc_bytes(size);
	if (!size) {
		free(p);
		return NULL;
	}
	if (unlikely(!is_kprim(p)))
		return __libc_realloc(p, size);
	if (unlikely(size > INT_MAX) && !is_vmalloc_addr(p)) {
		n = alloc_bytes(size);
		if (n) {
			memcpy(n, p, usable_size(p));
			kvfree(p);
		}
		return n;
	}
	n = kvrealloc(p, size, MALLOC_GFP);
	if (unlikely(!n))
		errno = ENOMEM;
	return n;
}

EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes))) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, bytes);
}

static bool power_of_two(size_t x)
{
	return x && !(x & (x - 1));
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (!power_of_two(align) || align % sizeof(void *))
		return EINVAL;
	p = align_alloc(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

/* glibc rounds an alignment that is no power of two up to one. */
static size_t round_align(size_t align)
{
	if (power_of_two(align))
		return align;
	return align > MAX_ALIGN ? SIZE_MAX : 1UL << (64 - __builtin_clzl(align));
}

EXPORT void *memalign(size_t align, size_t size)
{
	return align_alloc(round_align(align), size);
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	return align_alloc(round_align(align), size);
}

EXPORT void *valloc(size_t size)
{
	return align_alloc(PAGE_SIZE, size);
}

EXPORT void *pvalloc(size_t size)
{
	return align_alloc(PAGE_SIZE, size ? (size + PAGE_SIZE - 1) & PAGE_MASK : PAGE_SIZE);
}

EXPORT size_t malloc_usable_size(void *p)
{
	static size_t (*libc_usable_size)(void *);

	if (likely(is_kprim(p)))
		return usable_size(p);
	if (!p)
		return 0;
	if (!libc_usable_size)	/* kprim is up by now: dlsym may allocate */
		libc_usable_size = (size_t (*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
	return libc_usable_size ? libc_usable_size(p) : 0;
}

/* KPRIM_KMEMLEAK=1: what the program left allocated, as kmemleak prints it. */
__attribute__((destructor)) static void kmemleak_at_exit(void)
{
	const char *on = getenv("KPRIM_KMEMLEAK");

	if (on && *on == '1')
		fprintf(stderr, "kprim: kmemleak: %zu object(s) left at exit\n",
			kp_kmemleak_report(stderr));
}
