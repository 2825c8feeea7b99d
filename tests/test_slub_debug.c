// SPDX-License-Identifier: MIT
/*
 * test_slub_debug.c - slub_debug, with the cases of the kernel's
 * lib/tests/slub_kunit.c ported one for one, and the checks kprim adds:
 * corruption caught at free and at the next allocation, exact double
 * frees, call-site tracking, the KP_SLUB_DEBUG parser, and (in ASan builds)
 * use-after-free inside a slab seen by ASan.
 *
 * Every cache here asks for its debug flags explicitly, so the cases run
 * the same in every variant.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kp_test.h"

/* As slub_kunit's test_kmem_cache_create(): exactly these flags, whatever KP_SLUB_DEBUG says. */
static struct kmem_cache *cache(const char *name, unsigned int size, slab_flags_t flags)
{
	struct kmem_cache *s = kmem_cache_create(name, size, 0, flags | SLAB_NO_USER_FLAGS, NULL);

	assert_non_null(s);
	assert_int_equal(kmem_cache_debug_flags(s), flags & ~SLAB_KMALLOC);
	return s;
}

/* slub_kunit test_clobber_zone: a write just past a live object. */
static void test_clobber_zone(void **state)
{
	struct kmem_cache *s = cache("TestSlub_RZ_alloc", 64, SLAB_RED_ZONE);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);

	(void)state;
	p[64] = 0x12;
	assert_int_equal(kmem_cache_validate(s), 1);
	assert_reports(KP_REPORT_REDZONE, 1);
	assert_msg_contains("BUG TestSlub_RZ_alloc (Not tainted): Right Redzone overwritten");
	assert_msg_contains("First byte 0x12 instead of 0xcc");
	assert_msg_contains("FIX TestSlub_RZ_alloc: Restoring");
	assert_int_equal(kmem_cache_validate(s), 0);	/* repaired */
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
	assert_reports(KP_REPORT_REDZONE, 1);
}

/* slub_kunit test_next_pointer: a freed object's free pointer flipped. */
static void test_next_pointer(void **state)
{
	struct kmem_cache *s = cache("TestSlub_next_ptr_free", 64, SLAB_POISON);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL), *q;
	uintptr_t *fp, saved;

	(void)state;
	kmem_cache_free(s, p);
	fp = (uintptr_t *)(p + 64);	/* with poison the pointer sits past the object */
	saved = *fp;
	*fp = ~saved;
	assert_int_equal(kmem_cache_validate(s), 1);
	assert_reports(KP_REPORT_INVARIANT, 1);
	assert_msg_contains("Freepointer corrupt");
	*fp = saved;			/* the test puts it back, as slub_kunit does */
	assert_int_equal(kmem_cache_validate(s), 0);
	q = kmem_cache_alloc(s, GFP_KERNEL);	/* and the cache still works */
	assert_non_null(q);
	kmem_cache_free(s, q);
	kmem_cache_destroy(s);
}

/* slub_kunit test_first_word and test_clobber_50th_byte: writes after free. */
static void test_write_after_free(void **state)
{
	static const unsigned int offsets[] = { 0, 50 };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct kmem_cache *s = cache(i ? "TestSlub_50th_word_free" : "TestSlub_1th_word_free",
					     64, SLAB_POISON);
		unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);

		kp_report_reset();
		kmem_cache_free(s, p);
		p[offsets[i]] = i ? 0x9a : 0x78;
		assert_int_equal(kmem_cache_validate(s), 1);
		assert_reports(KP_REPORT_POISON, 1);
		assert_msg_contains("Poison overwritten");
		assert_int_equal(kmem_cache_validate(s), 0);
		kmem_cache_destroy(s);
	}
}

/* slub_kunit test_clobber_redzone_free: the red zone of a freed object. */
static void test_clobber_redzone_free(void **state)
{
	struct kmem_cache *s = cache("TestSlub_RZ_free", 64, SLAB_RED_ZONE);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL);

	(void)state;
	kmem_cache_free(s, p);
	p[64] = 0xab;
	assert_int_equal(kmem_cache_validate(s), 1);
	assert_reports(KP_REPORT_REDZONE, 1);
	assert_msg_contains("instead of 0xbb");
	kmem_cache_destroy(s);
}

/* slub_kunit test_kmalloc_redzone_access: kmalloc(18) from a 32-byte cache. */
static void test_kmalloc_redzone_access(void **state)
{
	struct kmem_cache *s = cache("TestSlub_RZ_kmalloc", 32,
				     SLAB_KMALLOC | SLAB_STORE_USER | SLAB_RED_ZONE);
	unsigned char *p = kmalloc_from_cache(s, 18, GFP_KERNEL);

	(void)state;
	for (int i = 18; i < 32; i++)
		assert_int_equal(p[i], SLUB_RED_ACTIVE);
	p[18] = 0xab;
	p[19] = 0xab;
	assert_int_equal(kmem_cache_validate(s), 1);
	assert_reports(KP_REPORT_REDZONE, 1);
	assert_msg_contains("kmalloc Redzone overwritten");
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

/* slub_kunit test_leak_destroy: destroying a cache with a live object. */
static void test_leak_destroy(void **state)
{
	struct kmem_cache *s = cache("TestSlub_leak_destroy", 64, SLAB_CONSISTENCY_CHECKS);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	(void)state;
	kmem_cache_destroy(s);
	assert_reports(KP_REPORT_CACHE_NOT_EMPTY, 1);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

/* slub_kunit test_krealloc_redzone_zeroing: red zones and zeroing through krealloc. */
static void test_krealloc_redzone_zeroing(void **state)
{
	struct kmem_cache *s = cache("TestSlub_krealloc", 64,
				     SLAB_KMALLOC | SLAB_STORE_USER | SLAB_RED_ZONE);
	unsigned char *p = kmalloc_from_cache(s, 48, GFP_KERNEL), *q;

	(void)state;
	memset(p, 0xff, 48);
	for (int i = 48; i < 64; i++)
		assert_int_equal(p[i], SLUB_RED_ACTIVE);
	q = krealloc(p, 40, GFP_KERNEL | __GFP_ZERO);		/* shrink */
	assert_ptr_equal(q, p);
	for (int i = 0; i < 40; i++)
		assert_int_equal(p[i], 0xff);
	for (int i = 40; i < 64; i++)
		assert_int_equal(p[i], SLUB_RED_ACTIVE);
	q = krealloc(p, 56, GFP_KERNEL | __GFP_ZERO);		/* grow in place */
	assert_ptr_equal(q, p);
	for (int i = 0; i < 40; i++)
		assert_int_equal(p[i], 0xff);
	for (int i = 40; i < 56; i++)
		assert_int_equal(p[i], 0);
	for (int i = 56; i < 64; i++)
		assert_int_equal(p[i], SLUB_RED_ACTIVE);
	assert_int_equal(kmem_cache_validate(s), 0);
	q = krealloc(p, 112, GFP_KERNEL | __GFP_ZERO);		/* to kmalloc-128 */
	assert_ptr_not_equal(q, p);
	for (int i = 0; i < 40; i++)
		assert_int_equal(q[i], 0xff);
	for (int i = 40; i < 112; i++)
		assert_int_equal(q[i], 0);
	assert_int_equal(kmem_cache_validate(s), 0);
	kfree(q);
	kmem_cache_destroy(s);
	assert_no_reports();
}

/* F: a second free is caught exactly (not just at the freelist head) and refused. */
static void test_exact_double_free(void **state)
{
	struct kmem_cache *s = cache("TestSlub_double", 64, SLAB_CONSISTENCY_CHECKS);
	void *a = kmem_cache_alloc(s, GFP_KERNEL), *b = kmem_cache_alloc(s, GFP_KERNEL), *c, *d;

	(void)state;
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	kmem_cache_free(s, a);		/* not at the head any more */
	assert_reports(KP_REPORT_DOUBLE_FREE, 1);
	assert_msg_contains("Object already free");
	c = kmem_cache_alloc(s, GFP_KERNEL);
	d = kmem_cache_alloc(s, GFP_KERNEL);
	assert_ptr_not_equal(c, d);
	kp_report_reset();
	kmem_cache_free(s, (char *)c + 4);
	assert_reports(KP_REPORT_INVALID_FREE, 1);
	kmem_cache_free(s, c);
	kmem_cache_free(s, d);
	assert_int_equal(kmem_cache_live_objects(s), 0);
	kmem_cache_destroy(s);
}

/* Z: an overrun is caught when the object is freed; P: a write after free at the next allocation. */
static void test_caught_at_free_and_alloc(void **state)
{
	struct kmem_cache *s = cache("TestSlub_live", 48, SLAB_RED_ZONE | SLAB_POISON);
	unsigned char *p = kmem_cache_alloc(s, GFP_KERNEL), *q;

	(void)state;
	p[48] = 1;
	kmem_cache_free(s, p);
	assert_reports(KP_REPORT_REDZONE, 1);
	p[7] = 2;		/* after free */
	kp_report_reset();
	q = kmem_cache_alloc(s, GFP_KERNEL);
	assert_ptr_equal(q, p);	/* the same object comes back, checked first */
	assert_reports(KP_REPORT_POISON, 1);
	kmem_cache_free(s, q);
	kmem_cache_destroy(s);
}

/* U: who allocated shows in kmemleak's report, with the size asked for. */
static void test_store_user_in_leak_report(void **state)
{
	struct kmem_cache *s = cache("TestSlub_user", 64, SLAB_KMALLOC | SLAB_STORE_USER);
	void *p = kmalloc_from_cache(s, 21, GFP_KERNEL);
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	char line[96];

	(void)state;
	kp_kmemleak_report(mem);
	fclose(mem);
	snprintf(line, sizeof(line), "unreferenced object %p (size 21):", p);
	assert_non_null(strstr(buf, line));
	assert_non_null(strstr(buf, "cache \"TestSlub_user\""));
	assert_non_null(strstr(buf, "backtrace:\n    [<0x"));
	assert_non_null(strstr(buf, "live objects by call site:"));
	assert_non_null(strstr(buf, "1 object(s), 21 bytes, cache \"TestSlub_user\", from [<0x"));
	free(buf);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
}

/* KP_SLUB_DEBUG is read once, at the first cache: check it in a child. */
static void probe_main(void)
{
	struct kmem_cache *a = kmem_cache_create("alpha", 32, 0, 0, NULL);
	struct kmem_cache *b = kmem_cache_create("beta", 32, 0, 0, NULL);

	printf("alpha=%#x beta=%#x\n", kmem_cache_debug_flags(a), kmem_cache_debug_flags(b));
	exit(0);
}

static char *probe(const char *spec)
{
	static char out[256];
	int fds[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		setenv("KP_SLUB_DEBUG", spec, 1);
		execl("/proc/self/exe", "probe", "--slub-debug-probe", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return out;
}

static void test_kp_slub_debug_parsing(void **state)
{
	(void)state;
	assert_non_null(strstr(probe("FZPU"), "alpha=0x10d00 beta=0x10d00"));
	assert_non_null(strstr(probe("ZP,beta"), "alpha=0 beta=0xc00"));
	assert_non_null(strstr(probe("-"), "alpha=0 beta=0"));
	assert_non_null(strstr(probe(""), "alpha=0x10d00"));	/* bare: everything */
	assert_non_null(strstr(probe("Fq"), "option 'q' unknown, skipped"));
	assert_non_null(strstr(probe("Fq"), "alpha=0x100"));
}

#ifdef KP_ASAN
static void use_after_free(void)
{
	volatile char *p = kmalloc(64, GFP_KERNEL);

	kfree((void *)p);
	(void)p[1];
}

/* ASan: memory of a freed object inside a slab is poisoned. */
static void test_asan_sees_use_after_free(void **state)
{
	char out[4096];
	int status = kp_test_in_child(use_after_free, out, sizeof(out));

	(void)state;
	assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(strstr(out, "use-after-poison"));
}
#endif

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		kp_unit_test(test_clobber_zone),
		kp_unit_test(test_next_pointer),
		kp_unit_test(test_write_after_free),
		kp_unit_test(test_clobber_redzone_free),
		kp_unit_test(test_kmalloc_redzone_access),
		kp_unit_test(test_leak_destroy),
		kp_unit_test(test_krealloc_redzone_zeroing),
		kp_unit_test(test_exact_double_free),
		kp_unit_test(test_caught_at_free_and_alloc),
		kp_unit_test(test_store_user_in_leak_report),
		kp_unit_test(test_kp_slub_debug_parsing),
#ifdef KP_ASAN
		kp_unit_test(test_asan_sees_use_after_free),
#endif
	};

	if (argc > 1 && !strcmp(argv[1], "--slub-debug-probe"))
		probe_main();
	return kp_run_tests("slub_debug", tests);
}
