// SPDX-License-Identifier: MIT
/*
 * fuzz_kmalloc.c - kmalloc, slab caches, vmalloc and kvmalloc against a
 * shadow of what the kernel promises.
 *
 * The input drives kmalloc/kzalloc/kcalloc/krealloc/kfree/ksize,
 * kmem_cache create/alloc/free/bulk/destroy, vmalloc/vrealloc/vfree and
 * kvmalloc/kvrealloc/kvfree with fuzzed sizes (clamped below libFuzzer's
 * malloc limit) and flags (unknown bits included), and arms fail-nth and
 * the memory limit. After every step the shadow is checked: no two live
 * objects overlap; kmalloc objects sit in the kernel's bucket with natural
 * alignment, cache objects at the cache's alignment, vmalloc areas on
 * pages; zeroing was done where asked; contents survive realloc up to the
 * smaller size; an allocation fails only where the rules allow (bad size,
 * injected failure, memory limit; never __GFP_NOFAIL); each cache counts
 * exactly the objects the shadow holds; the only warning printed is the
 * fix-up of bits the step passed that are no flag. Each object carries a pattern
 * derived from its id, verified before it is freed. At the end everything
 * is freed and kmemleak must find nothing.
 *
 * The shadow's own loops (patterns, overlap) are left out of coverage: they
 * are bookkeeping, and instrumenting their compares would cost most of the
 * time of every input.
 */
#include <string.h>

#include "expect.h"
#include "fdp.h"
#include "oracle.h"

#define MAX_OBJS	48
#define MAX_CACHES	4
#define MAX_OPS		128	/* 48 object slots: longer inputs mostly revisit the same states */
#define PATTERN_HEAD	256	/* bytes checked at the start of an object */
#define PATTERN_TAIL	32	/* ... and at its end */
#define MAX_VM_SIZE	(8UL << 20)

enum kind { K_KMALLOC, K_CACHE, K_VMALLOC, K_KVMALLOC };

struct obj {
	unsigned char *p;
	size_t size;
	size_t bucket;		/* kmalloc: the bucket it sits in (kept by in-place krealloc) */
	enum kind kind;
	int cache;
	uint32_t id;
	bool live;
};

struct cache_slot {
	struct kmem_cache *s;
	unsigned int size, align;
	unsigned long live;
};

static struct obj objs[MAX_OBJS];
static struct cache_slot caches[MAX_CACHES];
static uint32_t next_id;
static bool limit_armed;
static gfp_t step_bad_bits;	/* GFP_SLAB_BUG_MASK bits passed in this step */

/*
 * An object's pattern is a window of a ramp that repeats every 256 bytes,
 * entered at an offset its id picks: byte i of object id is
 * ramp[(id * 37 + i) % 256], so a block copied from another object or to
 * another offset reads wrong. The head and the tail are one window each,
 * written with memcpy() and checked with memcmp() (one shadow check per
 * call under ASan, not one per byte).
 */
#define RAMP_PERIOD	256
#define CHECKED_MAX	(PATTERN_HEAD + PATTERN_TAIL)	/* the longest span: a small object whole */

static unsigned char ramp[RAMP_PERIOD + CHECKED_MAX];
static const unsigned char zeroes[CHECKED_MAX];

static const unsigned char *pattern_at(uint32_t id, size_t i)
{
	return &ramp[(id * 37u + i) % RAMP_PERIOD];
}

/* The checked spans of an object: [0, head) and [tail, size). */
static void checked_spans(const struct obj *o, size_t *head, size_t *tail)
{
	*head = o->size > CHECKED_MAX ? PATTERN_HEAD : o->size;
	*tail = o->size > CHECKED_MAX ? o->size - PATTERN_TAIL : o->size;
}

static __no_sanitize_coverage void fill(struct obj *o)
{
	size_t head, tail;

	checked_spans(o, &head, &tail);
	memcpy(o->p, pattern_at(o->id, 0), head);
	memcpy(o->p + tail, pattern_at(o->id, tail), o->size - tail);
}

/* The pattern holds in the checked bytes below upto. */
static __no_sanitize_coverage void verify(const struct obj *o, size_t upto)
{
	size_t head, tail;

	checked_spans(o, &head, &tail);
	upto = upto < o->size ? upto : o->size;
	fuzz_assert(!memcmp(o->p, pattern_at(o->id, 0), upto < head ? upto : head));
	if (upto > tail)
		fuzz_assert(!memcmp(o->p + tail, pattern_at(o->id, tail), upto - tail));
}

static __no_sanitize_coverage void verify_zero(const struct obj *o)
{
	size_t head, tail;

	checked_spans(o, &head, &tail);
	fuzz_assert(!memcmp(o->p, zeroes, head) && !memcmp(o->p + tail, zeroes, o->size - tail));
}

static __no_sanitize_coverage void check_placement(const struct obj *o)
{
	uintptr_t a = (uintptr_t)o->p;

	switch (o->kind) {
	case K_KMALLOC: {
		size_t bucket = o->bucket, align = bucket & -bucket;

		fuzz_assert(bucket >= oracle_kmalloc_bucket(o->size) && ksize(o->p) == bucket);
		fuzz_assert(a % (align < PAGE_SIZE ? align : PAGE_SIZE) == 0);
		break;
	}
	case K_CACHE:
		fuzz_assert(a % caches[o->cache].align == 0);
		break;
	case K_VMALLOC:
		fuzz_assert(a % PAGE_SIZE == 0 && is_vmalloc_addr(o->p));
		break;
	case K_KVMALLOC:
		fuzz_assert(a % 8 == 0);
		fuzz_assert(!is_vmalloc_addr(o->p) || o->size > PAGE_SIZE);
		break;
	}
	for (int j = 0; j < MAX_OBJS; j++) {
		const struct obj *b = &objs[j];

		if (b == o || !b->live || ZERO_OR_NULL_PTR(b->p) || ZERO_OR_NULL_PTR(o->p))
			continue;
		fuzz_assert(o->p + o->size <= b->p || b->p + b->size <= o->p);
	}
}

/* ---- sizes and flags ---------------------------------------------------------- */

static size_t take_size(struct fdp *f, size_t max)
{
	switch (fdp_choice(f, 8)) {
	case 0:
		return fdp_range(f, 0, 16);
	case 1: case 2: case 3:
		return fdp_range(f, 1, 512);
	case 4: case 5:
		return fdp_range(f, 513, 16384);
	case 6: {
		/*
		 * Large sizes, log-distributed, and past 256 KiB only one time in
		 * 32: zeroing and faulting in big areas is memset and page
		 * faults, not allocator logic.
		 */
		size_t cap = fdp_choice(f, 32) ? (256UL << 10) : max;
		size_t top = 1UL << fdp_range(f, 15, 63 - (size_t)__builtin_clzl(cap < max ? cap : max));

		return fdp_range(f, top / 2 + 1, top < max ? top : max);
	}
	default: {
		static const size_t edges[] = { 64, 96, 192, 4096, 8192, 8193, PAGE_SIZE + 1,
						KMALLOC_MAX_SIZE, KMALLOC_MAX_SIZE + 1 };
		size_t edge = fdp_pick(f, edges);

		return edge <= max ? edge : max;
	}
	}
}

static gfp_t take_gfp(struct fdp *f)
{
	static const gfp_t base[] = { GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT, GFP_NOIO, GFP_NOFS };
	static const gfp_t mods[] = { 0, __GFP_ZERO, __GFP_NORETRY, __GFP_RETRY_MAYFAIL,
				      __GFP_ZERO | __GFP_NORETRY, __GFP_NOFAIL };
	gfp_t gfp = fdp_pick(f, base) | fdp_pick(f, mods) | __GFP_NOWARN;

	if (fdp_u8(f) < 8) {	/* now and then, bits nobody defined */
		gfp |= (gfp_t)fdp_u32(f) & 0xff000000u;
		step_bad_bits |= gfp & GFP_SLAB_BUG_MASK;
	}
	return gfp;
}

/*
 * kprim's warnings in a step: every call passes __GFP_NOWARN, so the only
 * one allowed is the fix-up of flags that are no flag (a new slab or a
 * large block met them), naming only bits the step passed.
 */
static __no_sanitize_coverage void check_warnings(void)
{
	const char *text;
	size_t len = fuzz_take_warnings(&text);

	for (size_t at = 0; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		unsigned int bits = 0;

		fuzz_assert(nl && sscanf(text + at, "Unexpected gfp: %x.", &bits) == 1);
		fuzz_assert(bits && !(bits & ~step_bad_bits));
		at = (size_t)(nl - text) + 1;
	}
	step_bad_bits = 0;
}

/*
 * May this allocation fail? A bad size always may; otherwise only an
 * injected failure or the memory limit, and never with __GFP_NOFAIL.
 */
static bool may_fail(size_t size, size_t max_ok, gfp_t gfp, bool injected)
{
	if (!size || size > max_ok)
		return true;
	if (gfp & __GFP_NOFAIL)
		return false;
	return injected || limit_armed;
}

static struct obj *free_slot(struct fdp *f)
{
	struct obj *o = &objs[fdp_choice(f, MAX_OBJS)];

	return o->live ? NULL : o;
}

static struct obj *live_obj(struct fdp *f, enum kind kind)
{
	struct obj *o = &objs[fdp_choice(f, MAX_OBJS)];

	return o->live && o->kind == kind ? o : NULL;
}

/* The new object o was just returned by an allocation that asked for size. */
static __no_sanitize_coverage void adopt(struct obj *o, void *p, size_t size, enum kind kind,
					  int cache, gfp_t gfp)
{
	o->p = p;
	o->size = size;
	o->bucket = kind == K_KMALLOC ? oracle_kmalloc_bucket(size) : 0;
	o->kind = kind;
	o->cache = cache;
	o->id = next_id++;
	o->live = true;
	if (ZERO_OR_NULL_PTR(p))
		return;
	check_placement(o);
	if (gfp & __GFP_ZERO)
		verify_zero(o);
	fill(o);
}

static void drop(struct obj *o)
{
	if (o->kind == K_CACHE)
		caches[o->cache].live--;
	o->live = false;
}

/* ---- the operations -------------------------------------------------------------- */

static bool armed_fired(unsigned int before)
{
	return before && kp_fail_nth_get() == 0;
}

static void op_kmalloc(struct fdp *f)
{
	struct obj *o = free_slot(f);
	size_t size = take_size(f, KMALLOC_MAX_SIZE + 1);
	gfp_t gfp = take_gfp(f);
	unsigned int nth = kp_fail_nth_get();
	void *p;

	if (!o)
		return;
	if (fdp_bool(f) && size % 8 == 0 && size) {
		p = kcalloc(size / 8, 8, gfp);
		gfp |= __GFP_ZERO;
	} else {
		p = kmalloc(size, gfp);
	}
	if (!size) {
		fuzz_assert(p == ZERO_SIZE_PTR);
		return;
	}
	if (!p) {
		fuzz_assert(may_fail(size, KMALLOC_MAX_SIZE, gfp, armed_fired(nth)));
		return;
	}
	adopt(o, p, size, K_KMALLOC, -1, gfp);
}

static void op_krealloc(struct fdp *f)
{
	struct obj *o = live_obj(f, K_KMALLOC);
	size_t size = take_size(f, KMALLOC_MAX_SIZE + 1);
	gfp_t gfp = take_gfp(f) & ~__GFP_ZERO;
	unsigned int nth = kp_fail_nth_get();
	bool in_place;
	void *p;

	if (!o)
		return;
	in_place = size && size <= ksize(o->p);
	p = krealloc(o->p, size, gfp);
	if (!size) {
		fuzz_assert(p == ZERO_SIZE_PTR);
		o->live = false;
		return;
	}
	if (!p) {
		fuzz_assert(!in_place);
		fuzz_assert(may_fail(size, KMALLOC_MAX_SIZE, gfp, armed_fired(nth)));
		verify(o, o->size);	/* the old block is intact */
		return;
	}
	fuzz_assert(!in_place || p == o->p);
	if (!in_place)
		o->bucket = oracle_kmalloc_bucket(size);
	o->p = p;
	verify(o, size < o->size ? size : o->size);
	o->size = size;
	check_placement(o);
	fill(o);
}

static void op_free(struct fdp *f)
{
	struct obj *o = &objs[fdp_choice(f, MAX_OBJS)];

	if (!o->live)
		return;
	verify(o, o->size);
	switch (o->kind) {
	case K_KMALLOC:
		if (fdp_bool(f))
			kfree_sensitive(o->p);
		else
			kfree(o->p);
		break;
	case K_CACHE:
		kmem_cache_free(caches[o->cache].s, o->p);
		break;
	case K_VMALLOC:
		vfree(o->p);
		break;
	case K_KVMALLOC:
		kvfree(o->p);
		break;
	}
	drop(o);
}

/*
 * Misuse: free a slab object twice in a row. Without debugging the
 * hardened freelist's check still sees it (the object heads the list it
 * went to), reports DOUBLE_FREE and refuses the second free.
 */
static void op_double_free(struct fdp *f)
{
	struct obj *o = &objs[fdp_choice(f, MAX_OBJS)];

	if (!o->live || ZERO_OR_NULL_PTR(o->p) ||
	    !(o->kind == K_CACHE || (o->kind == K_KMALLOC && o->bucket <= KMALLOC_MAX_CACHE_SIZE)))
		return;
	verify(o, o->size);
	if (o->kind == K_CACHE) {
		kmem_cache_free(caches[o->cache].s, o->p);
		fuzz_expect_report(KP_REPORT_DOUBLE_FREE);
		kmem_cache_free(caches[o->cache].s, o->p);
	} else {
		kfree(o->p);
		fuzz_expect_report(KP_REPORT_DOUBLE_FREE);
		kfree(o->p);
	}
	drop(o);
}

static void op_cache_create(struct fdp *f)
{
	struct cache_slot *c = &caches[fdp_choice(f, MAX_CACHES)];
	unsigned int size = (unsigned int)fdp_range(f, 0, 40000);
	unsigned int align = fdp_bool(f) ? 0 : 1u << fdp_range(f, 0, 13);
	slab_flags_t flags = fdp_bool(f) ? SLAB_HWCACHE_ALIGN : 0;
	struct kmem_cache *s;

	if (c->s)
		return;
	s = kmem_cache_create("fuzz", size, align, flags, NULL);
	if (!size || size > (PAGE_SIZE << 3) || align > (PAGE_SIZE << 3)) {
		fuzz_assert(!s);
		return;
	}
	fuzz_assert(s || limit_armed);	/* the cache itself needs a page */
	if (!s)
		return;
	c->s = s;
	c->size = size;
	c->align = align < 8 ? 8 : align;
	if ((flags & SLAB_HWCACHE_ALIGN) && c->align < 64 && size > 32)
		c->align = 64;
	c->live = 0;
}

static void op_cache_alloc(struct fdp *f)
{
	int ci = (int)fdp_choice(f, MAX_CACHES);
	struct cache_slot *c = &caches[ci];
	gfp_t gfp = take_gfp(f);
	unsigned int nth = kp_fail_nth_get();
	size_t n = fdp_bool(f) ? fdp_range(f, 1, 12) : 1;
	void *ps[12];

	if (!c->s)
		return;
	if (n == 1) {
		struct obj *o = free_slot(f);

		if (!o)
			return;
		ps[0] = kmem_cache_alloc(c->s, gfp);
		if (!ps[0]) {
			fuzz_assert(may_fail(c->size, c->size, gfp, armed_fired(nth)));
			return;
		}
		c->live++;
		adopt(o, ps[0], c->size, K_CACHE, ci, gfp);
		return;
	}
	if (!kmem_cache_alloc_bulk(c->s, gfp, n, ps)) {
		fuzz_assert(may_fail(c->size, c->size, gfp, armed_fired(nth)));
		fuzz_assert(kmem_cache_live_objects(c->s) == c->live);	/* all or nothing */
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct obj *o = NULL;

		for (int j = 0; j < MAX_OBJS && !o; j++)
			if (!objs[j].live)
				o = &objs[j];
		if (!o) {
			kmem_cache_free_bulk(c->s, n - i, ps + i);
			break;
		}
		c->live++;
		adopt(o, ps[i], c->size, K_CACHE, ci, gfp);
	}
}

static void op_cache_destroy(struct fdp *f)
{
	struct cache_slot *c = &caches[fdp_choice(f, MAX_CACHES)];

	if (!c->s || c->live)
		return;
	fuzz_assert(kmem_cache_live_objects(c->s) == 0);
	if (fdp_bool(f))
		kmem_cache_shrink(c->s);
	kmem_cache_destroy(c->s);
	c->s = NULL;
}

static void op_vmalloc(struct fdp *f)
{
	struct obj *o = free_slot(f);
	size_t size = take_size(f, MAX_VM_SIZE);
	gfp_t gfp = take_gfp(f);
	unsigned int nth = kp_fail_nth_get();
	void *p;

	if (!o)
		return;
	if (fdp_bool(f))
		gfp = GFP_KERNEL | __GFP_NOWARN;	/* what vmalloc() uses */
	p = __vmalloc(size, gfp);
	if (!p) {
		fuzz_assert(may_fail(size, MAX_VM_SIZE, gfp, armed_fired(nth)));
		return;
	}
	fuzz_assert(size);
	adopt(o, p, size, K_VMALLOC, -1, gfp);	/* a reused area reads zero only if asked */
}

static void op_vrealloc(struct fdp *f)
{
	struct obj *o = live_obj(f, K_VMALLOC);
	size_t size = take_size(f, MAX_VM_SIZE);
	gfp_t gfp = take_gfp(f) & ~__GFP_NOFAIL;
	unsigned int nth = kp_fail_nth_get();
	void *p;

	if (!o)
		return;
	p = vrealloc(o->p, size, gfp);
	if (!size) {
		fuzz_assert(!p);
		o->live = false;
		return;
	}
	if (!p) {
		fuzz_assert(may_fail(size, MAX_VM_SIZE, gfp, armed_fired(nth)));
		verify(o, o->size);
		return;
	}
	o->p = p;
	verify(o, size < o->size ? size : o->size);
	o->size = size;
	check_placement(o);
	fill(o);
}

static void op_kvmalloc(struct fdp *f)
{
	struct obj *o = free_slot(f);
	size_t size = take_size(f, MAX_VM_SIZE);
	gfp_t gfp = take_gfp(f);
	unsigned int nth = kp_fail_nth_get();
	void *p;

	if (!o)
		return;
	p = kvmalloc(size, gfp);
	if (!size) {
		fuzz_assert(p == ZERO_SIZE_PTR);
		return;
	}
	if (!p) {
		bool injected = armed_fired(nth);

		if (size <= PAGE_SIZE)		/* plain kmalloc */
			fuzz_assert(may_fail(size, KMALLOC_MAX_SIZE, gfp, injected));
		else if (!gfpflags_allow_blocking(gfp))	/* the kmalloc try, no fallback */
			fuzz_assert(may_fail(size, KMALLOC_MAX_SIZE, gfp & ~__GFP_NOFAIL, injected));
		else	/* the fallback failed too; the countdown may land on either */
			fuzz_assert(may_fail(size, MAX_VM_SIZE, gfp, injected));
		return;
	}
	adopt(o, p, size, K_KVMALLOC, -1, gfp);
}

static void op_kvrealloc(struct fdp *f)
{
	struct obj *o = live_obj(f, K_KVMALLOC);
	size_t size = take_size(f, MAX_VM_SIZE);
	gfp_t gfp = (take_gfp(f) & ~__GFP_ZERO & ~__GFP_NOFAIL);
	bool was_vmalloc;
	void *p;

	if (!o || ZERO_OR_NULL_PTR(o->p))
		return;
	was_vmalloc = is_vmalloc_addr(o->p);
	p = kvrealloc(o->p, size, gfp);
	if (!size) {
		fuzz_assert(p == (was_vmalloc ? NULL : ZERO_SIZE_PTR));
		o->live = false;
		return;
	}
	if (!p) {
		verify(o, o->size);
		return;
	}
	fuzz_assert(!was_vmalloc || is_vmalloc_addr(p));	/* never migrates back */
	o->p = p;
	verify(o, size < o->size ? size : o->size);
	o->size = size;
	fill(o);
}

static void op_arm(struct fdp *f)
{
	switch (fdp_choice(f, 3)) {
	case 0:
		kp_fail_nth_set((unsigned int)fdp_range(f, 1, 4));
		break;
	case 1:
		kp_mem_set_limit(kp_mem_used() + fdp_range(f, 0, 64) * PAGE_SIZE);
		limit_armed = true;
		break;
	default:
		kp_mem_set_limit(0);
		limit_armed = false;
		kp_fail_nth_set(0);
		break;
	}
}

static FILE *devnull;

/*
 * The live counters against the shadow; in one input of sixteen (by
 * length, so a failing input replays the same) at step 63, when no large
 * block is live (listing those walks the whole page map), the printed
 * report's slab walk too: the walk costs more than the ops (one input in
 * four made it a tenth of the target's time).
 */
static __no_sanitize_coverage void check_accounting(bool walk)
{
	size_t live = 0, large = 0;

	for (int i = 0; i < MAX_CACHES; i++)
		if (caches[i].s)
			fuzz_assert(kmem_cache_live_objects(caches[i].s) == caches[i].live);
	for (int i = 0; i < MAX_OBJS; i++) {
		const struct obj *o = &objs[i];
		bool counted = o->live && o->kind != K_VMALLOC &&
			       !(o->kind == K_KVMALLOC && is_vmalloc_addr(o->p));

		live += counted;
		large += counted && o->kind != K_CACHE && ksize(o->p) > KMALLOC_MAX_CACHE_SIZE;
	}
	fuzz_assert(kp_kmemleak_report(NULL) == live);
	if (walk && !large) {
		if (!devnull)
			devnull = fopen("/dev/null", "w");
		fuzz_assert(devnull && kp_kmemleak_report(devnull) == live);
	}
}

static __no_sanitize_coverage void teardown(void)
{
	kp_fail_nth_set(0);
	kp_mem_set_limit(0);
	limit_armed = false;
	for (int i = 0; i < MAX_OBJS; i++) {
		struct obj *o = &objs[i];

		if (!o->live)
			continue;
		verify(o, o->size);
		if (o->kind == K_CACHE)
			kmem_cache_free(caches[o->cache].s, o->p);
		else if (o->kind == K_KMALLOC)
			kfree(o->p);
		else
			kvfree(o->p);
		drop(o);
	}
	for (int i = 0; i < MAX_CACHES; i++) {
		if (caches[i].s)
			kmem_cache_destroy(caches[i].s);
		caches[i].s = NULL;
	}
	check_accounting(false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const ops[])(struct fdp *) = {
		op_kmalloc, op_kmalloc, op_krealloc, op_free, op_free, op_cache_create,
		op_cache_alloc, op_cache_alloc, op_cache_destroy, op_vmalloc, op_vrealloc,
		op_kvmalloc, op_kvrealloc, op_arm, op_double_free,
	};
	struct fdp f;

	if (!ramp[0])
		for (size_t i = 0; i < sizeof(ramp); i++)
			ramp[i] = (unsigned char)(i * 7u + 1u);
	fuzz_capture_warnings();
	fdp_init(&f, data, size);
	for (int n = 0; n < MAX_OPS && !fdp_empty(&f); n++) {
		fdp_pick(&f, ops)(&f);
		fuzz_step_done();
		check_warnings();
		if (n % 16 == 15 && !kp_fail_nth_get())
			check_accounting(n == 63 && size % 16 == 0);
	}
	teardown();
	return 0;
}
