// SPDX-License-Identifier: MIT
/*
 * preload_malloc.c - the C allocator's corners, for a program run under
 * LD_PRELOAD=libkprim-malloc.so (tests/preload.sh builds it with plain cc,
 * nothing of kprim's: as a user's program is).
 *
 * Prints "PASS what" or "FAIL what: why" per check; preload.sh turns them
 * into TAP. Every check holds for glibc's malloc too (preload.sh also runs
 * the program without the preload, so a check that only kprim passes is a
 * wrong check). With an argument it misuses the allocator instead:
 * "double-free", "overflow" (one byte past the end, then free) or "leak".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "preload_check.h"

extern void *__libc_malloc(size_t size);
extern void *early_pointer(void);	/* preload_early.c: malloc'd by a constructor */

static volatile size_t huge = SIZE_MAX / 2;	/* volatile: the compiler would refuse the calls */

static int aligned(const void *p, size_t align)
{
	return ((uintptr_t)p & (align - 1)) == 0;
}

static void check_zero_and_unique(void)
{
	void *a = malloc(0), *b = malloc(0);

	check(a && b && a != b, "malloc(0) returns unique pointers", "NULL or equal");
	free(a);
	free(b);
}

static void check_alignment(void)
{
	int ok = 1;

	for (size_t n = 1; n <= 70000 && ok; n += n < 300 ? 1 : n / 7) {
		char *p = malloc(n);

		ok = p && aligned(p, n >= 16 ? 16 : 8) && malloc_usable_size(p) >= n;
		if (ok)
			memset(p, 0xa5, n);
		free(p);
	}
	check(ok, "malloc(n) is 16-byte aligned for n >= 16 and usable for n bytes", "misaligned");

	ok = 1;
	for (size_t align = sizeof(void *); align <= (4UL << 20) && ok; align <<= 1) {
		size_t sizes[] = { 1, align - 1, align, 3 * align + 5 };

		for (int i = 0; i < 4 && ok; i++) {
			void *p = NULL;

			ok = !posix_memalign(&p, align, sizes[i]) && p && aligned(p, align);
			if (ok)
				memset(p, 1, sizes[i]);
			free(p);
		}
	}
	check(ok, "posix_memalign meets every power-of-two alignment up to 4 MiB", "misaligned");

	void *p = NULL;
	check(posix_memalign(&p, 24, 8) == EINVAL && posix_memalign(&p, 4, 8) == EINVAL,
	      "posix_memalign refuses alignments that are no power-of-two multiple of a pointer",
	      "accepted");
	p = aligned_alloc(256, 256);
	check(p && aligned(p, 256), "aligned_alloc(256, 256)", "misaligned");
	free(p);
	p = memalign(4096, 10);
	check(p && aligned(p, 4096), "memalign(4096, 10)", "misaligned");
	free(p);
	p = valloc(100);
	check(p && aligned(p, 4096), "valloc is page aligned", "misaligned");
	free(p);
	p = pvalloc(100);
	check(p && aligned(p, 4096) && malloc_usable_size(p) >= 4096,
	      "pvalloc is page aligned and rounded to a page", "misaligned or short");
	free(p);
}

static void check_calloc(void)
{
	size_t sizes[] = { 1, 100, 5000, 70000, 5 << 20 };
	int ok = 1;

	for (int i = 0; i < 5; i++) {
		/* dirty the memory a calloc of this size might get back */
		char *d = malloc(sizes[i]);

		memset(d, 0x5a, sizes[i]);
		free(d);
		unsigned char *p = calloc(1, sizes[i]);

		for (size_t j = 0; p && j < sizes[i]; j += 1 + j / 3)
			ok &= p[j] == 0;
		ok &= p != NULL;
		free(p);
	}
	check(ok, "calloc zeroes, small to 5 MiB", "non-zero byte");
	errno = 0;
	check(calloc(huge, 4) == NULL && errno == ENOMEM,
	      "calloc's multiplication overflow fails with ENOMEM", "not refused");
}

static void check_realloc(void)
{
	unsigned char *p = realloc(NULL, 10);
	size_t sizes[] = { 10, 100, 3000, 9000, 70000, 1 << 20, 6 << 20, 17 << 20, 50, 7 };
	int ok = p != NULL;
	size_t prev = 10;

	for (size_t i = 0; ok && i < 10; i++)
		p[i] = (unsigned char)(i * 7);
	for (int s = 1; ok && s < 10; s++) {
		size_t n = sizes[s], keep = prev < n ? prev : n;

		p = realloc(p, n);
		ok = p != NULL;
		for (size_t i = 0; ok && i < keep; i += 1 + i / 5)
			ok = p[i] == (unsigned char)(i * 7);
		if (ok)
			for (size_t i = prev; i < n; i++)
				p[i] = (unsigned char)(i * 7);
		prev = n;
	}
	check(ok, "realloc(NULL, n) allocates; growing and shrinking keep the contents", "lost");
	errno = 0;
	check(realloc(p, 0) == NULL, "realloc(p, 0) frees p and returns NULL (glibc)",
	      "returned a pointer");
	errno = 0;
	check(reallocarray(NULL, huge, 3) == NULL && errno == ENOMEM,
	      "reallocarray's overflow fails with ENOMEM", "not refused");
}

static void check_large_and_failure(void)
{
	size_t big = (size_t)INT32_MAX + (64UL << 20);
	char *p = malloc(big);

	check(p != NULL, "a malloc above INT_MAX succeeds (2.06 GiB, untouched)", "NULL");
	if (p) {
		p[0] = 1;
		p[big - 1] = 2;
		check(malloc_usable_size(p) >= big, "its usable size covers it", "short");
		free(p);
	}
	errno = 0;
	check(malloc(huge) == NULL && errno == ENOMEM,
	      "an impossible malloc fails with ENOMEM", "not refused");
	p = malloc(64);
	errno = 1234;
	free(p);
	check(errno == 1234, "free() keeps errno", "changed");
}

static void check_foreign(void)
{
	char *p = __libc_malloc(100);

	memset(p, 3, 100);
	check(malloc_usable_size(p) >= 100, "a pointer glibc allocated has its usable size",
	      "wrong size");
	p = realloc(p, 200);
	check(p && p[99] == 3, "realloc keeps a glibc pointer's contents", "lost");
	free(p);
	p = early_pointer();
	check(p && !strcmp(p, "early"), "a malloc from another library's constructor works",
	      "lost");
	free(p);
}

/* ---- threads, their exit, fork ------------------------------------------- */

static pthread_key_t late_key;

/* Runs after kprim's own key destructor: kprim's task is gone by then. */
static void late_destructor(void *p)
{
	free(p);
	free(malloc(32));
}

static void *worker(void *arg)
{
	void *keep[64];

	pthread_setspecific(late_key, malloc(48));
	for (int r = 0; r < 40; r++) {
		for (int i = 0; i < 64; i++)
			keep[i] = malloc(16 + (size_t)(i * 37 + r) % 3000);
		for (int i = 0; i < 64; i++)
			free(keep[i]);
	}
	return arg;
}

static void *passer(void *arg)
{
	void **box = arg;

	for (int i = 0; i < 1000; i++)
		free(box[i]);	/* allocated by another thread */
	return NULL;
}

static void check_threads(void)
{
	static void *box[1000];
	pthread_t t[8];
	int ok = 1;

	pthread_key_create(&late_key, late_destructor);
	for (int round = 0; round < 10 && ok; round++) {
		for (int i = 0; i < 8; i++)
			ok &= !pthread_create(&t[i], NULL, worker, NULL);
		for (int i = 0; i < 8; i++)
			pthread_join(t[i], NULL);
	}
	check(ok, "80 threads allocate, free and exit, freeing after kprim's exit hook",
	      "pthread_create failed");
	for (int i = 0; i < 1000; i++)
		box[i] = malloc(24 + (size_t)i % 200);
	pthread_create(&t[0], NULL, passer, box);
	pthread_join(t[0], NULL);
	check(1, "objects freed by another thread than their allocator's", "");
}

static volatile int hammering = 1;

/* Every bucket and large blocks, a burst at a time: some lock is nearly always held. */
static void *hammer(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	void *burst[16];

	while (hammering) {
		for (int i = 0; i < 16; i++)
			burst[i] = malloc(1 + rand_r(&seed) % 40000);
		for (int i = 0; i < 16; i++)
			free(burst[i]);
	}
	return NULL;
}

static void check_fork(void)
{
	pthread_t t[3];
	int bad = 0;

	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, hammer, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < 100; i++) {
		pid_t pid = fork();
		int status = 0;

		if (pid == 0) {
			alarm(10);	/* a lock held over the fork: killed, not hung */
			for (int j = 0; j < 3000; j++)
				free(malloc(1 + (size_t)j * 13 % 40000));
			_exit(0);
		}
		waitpid(pid, &status, 0);
		bad += !WIFEXITED(status) || WEXITSTATUS(status);
	}
	hammering = 0;
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	check(!bad, "fork() while three threads allocate: every child can allocate", "a child hung");
}

static int misuse(const char *how)
{
	char *volatile p = malloc(40);	/* volatile: the compiler may not drop the calls */

	if (!strcmp(how, "double-free")) {
		free(p);
		free(p);
	} else if (!strcmp(how, "overflow")) {
		((volatile char *)p)[40] = 'x';	/* a store the compiler cannot drop */
		free(p);
	} else if (!strcmp(how, "leak")) {
		for (int i = 0; i < 3; i++)
			p = malloc(100);
	} else {
		fprintf(stderr, "preload_malloc: unknown misuse '%s'\n", how);
		return 2;
	}
	puts("misused");
	return 0;
}

static void run_checks(void)
{
	check_zero_and_unique();
	check_alignment();
	check_calloc();
	check_realloc();
	check_large_and_failure();
	check_foreign();
	check_threads();
	check_fork();
}
