// SPDX-License-Identifier: MIT
/*
 * malloc.c - libkprim-malloc.so: the C allocator's calls on kprim's
 * kmalloc/kvmalloc, for LD_PRELOAD into any program.
 *
 * Every call allocates as a kernel caller with GFP_KERNEL would (blocking
 * allowed; __GFP_NOWARN, since a program's failed malloc is the program's
 * to report): up to KMALLOC_MAX_CACHE_SIZE from the kmalloc caches, or
 * from caches of its own between their buckets (size_caches),
 * above that kvmalloc (a 2^order block of pages), and from 128 KiB a
 * vmalloc area (VMALLOC_FROM: kvmalloc's kmalloc try would keep the
 * pages of every size a growing buffer had). What C asks for beyond the
 * kernel:
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
#include <pthread.h>
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

/*
 * Size classes between kmalloc's buckets, as a kernel subsystem makes a
 * cache for its own objects: a 45-byte sqlite record would otherwise take
 * a 64-byte bucket and a 4.2 KiB page an 8 KiB one. With kmalloc's own
 * the classes are four per doubling from 32 bytes (jemalloc's spacing).
 * Each is a kmalloc-style cache (SLAB_KMALLOC: debug builds track the size
 * asked for and red-zone the rest), made at the first malloc; size_caches
 * maps a size, in 16-byte steps, to its cache, NULL where kmalloc's bucket
 * is the class.
 */
static const unsigned int extra_sizes[] = {
	48, 80, 112, 160, 224, 320, 384, 448, 640, 768, 896,
	1280, 1536, 1792, 2560, 3072, 3584, 5120, 6144, 7168,
};
#define NR_EXTRA	(sizeof(extra_sizes) / sizeof(extra_sizes[0]))
#define CLASS_STEP	16

static struct kmem_cache *size_caches[KMALLOC_MAX_CACHE_SIZE / CLASS_STEP + 1];
static bool classes_ready;
static pthread_once_t classes_once = PTHREAD_ONCE_INIT;

/* mm/slab_common.c's bucket for n: 8 and 16, 96 and 192 beside the powers of two. */
static size_t kmalloc_bucket(size_t n)
{
	if (n <= 8)
		return 8;
	if (n > 64 && n <= 96)
		return 96;
	if (n > 128 && n <= 192)
		return 192;
	return 1UL << (64 - __builtin_clzl(n - 1));
}

static void make_classes(void)
{
	struct kmem_cache *caches[NR_EXTRA];
	char name[32];

	for (size_t i = 0; i < NR_EXTRA; i++) {
		snprintf(name, sizeof(name), "malloc-%u", extra_sizes[i]);
		caches[i] = kmem_cache_create(name, extra_sizes[i], MALLOC_ALIGN, SLAB_KMALLOC, NULL);
	}
	for (size_t step = 1; step < sizeof(size_caches) / sizeof(size_caches[0]); step++) {
		size_t n = step * CLASS_STEP, i = 0;

		while (i < NR_EXTRA && extra_sizes[i] < n)
			i++;
		if (i < NR_EXTRA && extra_sizes[i] < kmalloc_bucket(n))
			size_caches[step] = caches[i];	/* NULL if it could not be made */
	}
	kp_atomic_store(&classes_ready, true, KP_RELEASE);
}

/*
 * From glibc's mmap threshold up, a vmalloc area: once freed, the newest
 * few stay mapped, up to a budget, for the next area of as many pages
 * (kp_range_keep(); the rest go back to the system), and vrealloc() grows
 * one in place within its pages or moves them with mremap(), not a copy:
 * a buffer doubled again and again (sqlite's sorter, Python's lists)
 * holds one copy of itself, not every size it had.
 */
#define VMALLOC_FROM	(128UL << 10)

static __noinline void *alloc_big(size_t size, gfp_t gfp)
{
	if (!size)
		return kmalloc(1, gfp);	/* unique, not ZERO_SIZE_PTR */
	if (size >= VMALLOC_FROM)
		return __vmalloc(size, gfp);
	return kvmalloc(size, gfp);
}

static void *alloc_bytes(size_t size, gfp_t gfp);

static __noinline void *alloc_first(size_t size, gfp_t gfp)
{
	pthread_once(&classes_once, make_classes);
	return alloc_bytes(size, gfp);
}

/* gfp: MALLOC_GFP, with __GFP_ZERO for calloc. */
static __always_inline void *alloc_bytes(size_t size, gfp_t gfp)
{
	struct kmem_cache *s;
	void *p;

	if (likely(size - 1 < KMALLOC_MAX_CACHE_SIZE)) {
		if (unlikely(!kp_atomic_load(&classes_ready, KP_ACQUIRE)))
			return alloc_first(size, gfp);
		s = size_caches[(size + CLASS_STEP - 1) / CLASS_STEP];
		p = s ? kmalloc_from_cache(s, size, gfp) : kmalloc(size, gfp);
	} else {
		p = alloc_big(size, gfp);
	}
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
		return alloc_bytes(size > MALLOC_ALIGN / 2 ? size : MALLOC_ALIGN, MALLOC_GFP);
	if (align > MAX_ALIGN || need > SIZE_MAX / 2) {
		errno = ENOMEM;
		return NULL;
	}
	/* A power of two: a naturally aligned bucket, block or area. */
	need = 1UL << (64 - __builtin_clzl(need - 1));
	p = alloc_bytes(need, MALLOC_GFP);
	if (p && ((uintptr_t)p & (align - 1))) {	/* a vmalloc area above MAX_ALIGN */
		kvfree(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

EXPORT void *malloc(size_t size)
{
	return alloc_bytes(size, MALLOC_GFP);
}

EXPORT void free(void *p)
{
	struct kp_page *pg = kp_page_lookup(p);
	int saved = errno;

	if (likely(pg && pg->type != KP_PAGE_VMALLOC))
		kfree(p);	/* reports what is no kmalloc object */
	else if (pg)
		vfree(p);
	else if (p)
		__libc_free(p);
	errno = saved;
}

EXPORT void *calloc(size_t n, size_t size)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes))) {
		errno = ENOMEM;
		return NULL;
	}
	return alloc_bytes(bytes, MALLOC_GFP | __GFP_ZERO);
}

/*
 * In place where the object has room (krealloc(), which keeps a debug
 * cache's red zone after the new size), a vmalloc area by vrealloc();
 * otherwise a new object of the size's own class (alloc_bytes(): the
 * classes and VMALLOC_FROM, which krealloc's power-of-two bucket would
 * miss), the contents copied, the old one freed.
 */
EXPORT void *realloc(void *p, size_t size)
{
	size_t keep;
	void *n;

	if (!p)
		return alloc_bytes(size, MALLOC_GFP);
	if (!size) {
		free(p);
		return NULL;
	}
	if (unlikely(!is_kprim(p)))
		return __libc_realloc(p, size);
	if (is_vmalloc_addr(p) || size <= ksize(p)) {
		n = kvrealloc(p, size, MALLOC_GFP);
		if (unlikely(!n))
			errno = ENOMEM;
		return n;
	}
	keep = usable_size(p);
	n = alloc_bytes(size, MALLOC_GFP);
	if (n) {
		memcpy(n, p, keep < size ? keep : size);
		kfree(p);
	}
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
