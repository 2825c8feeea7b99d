// SPDX-License-Identifier: MIT
/*
 * fuzz_refcount.c - refcount_t, ARef and Arc against a shadow model.
 *
 * The input is a sequence of operations on four raw refcounts, four Arc
 * slots, eight ARefs and eight raw pointers. Raw refcounts are checked
 * after every step against a shadow that restates lib/refcount.c's
 * saturating semantics in 64-bit arithmetic, including which report each
 * misuse raises: the report handler accepts exactly the report the shadow
 * predicts and aborts on anything else. For Arcs the shadow is ownership:
 * the references the target holds (plain, through arefs, or as raw
 * pointers) must equal the count, the drop function must run exactly once
 * and only when none are left, and at the end of each input everything is
 * torn down and kprim's live-object count must be back to zero
 * (LeakSanitizer checks the same from below).
 */
#include <limits.h>

#include "fdp.h"
#include "expect.h"

#define NR_COUNTS	4
#define NR_ARCS		4
#define NR_AREFS	8
#define NR_RAWS		8
#define MAX_OPS		512

/* ---- raw refcounts and their shadow -------------------------------- */

static refcount_t counts[NR_COUNTS];
static int shadow[NR_COUNTS];

static int wrap32(int64_t v)
{
	return (int)(uint32_t)(uint64_t)v;
}

/* Saturate the shadow and expect the report that goes with it. */
static void shadow_saturate(int c, enum kp_report_kind kind)
{
	shadow[c] = REFCOUNT_SATURATED;
	fuzz_expect_report(kind);
}

static bool shadow_add_not_zero(int c, int i)
{
	int64_t old = shadow[c];

	if (old == 0)
		return false;
	shadow[c] = wrap32(old + i);
	if (old < 0 || old + i > INT_MAX)
		shadow_saturate(c, KP_REPORT_REFCOUNT_SATURATED);
	return true;
}

static void shadow_add(int c, int i)
{
	int64_t old = shadow[c];

	shadow[c] = wrap32(old + i);
	if (old == 0)
		shadow_saturate(c, KP_REPORT_REFCOUNT_ADD_ON_ZERO);
	else if (old < 0 || old + i > INT_MAX)
		shadow_saturate(c, KP_REPORT_REFCOUNT_SATURATED);
}

static bool shadow_sub_and_test(int c, int i)
{
	int64_t old = shadow[c];

	shadow[c] = wrap32(old - i);
	if (old == i)
		return true;
	if (old < 0 || old - i < 0)
		shadow_saturate(c, KP_REPORT_REFCOUNT_UNDERFLOW);
	return false;
}

static void shadow_dec(int c)
{
	int64_t old = shadow[c];

	shadow[c] = wrap32(old - 1);
	if (old <= 1)
		shadow_saturate(c, KP_REPORT_REFCOUNT_DEC_TO_ZERO);
}

static bool shadow_dec_if_one(int c)
{
	if (shadow[c] != 1)
		return false;
	shadow[c] = 0;
	return true;
}

static bool shadow_dec_not_one(int c)
{
	int64_t v = shadow[c];

	if (v == REFCOUNT_SATURATED)
		return true;
	if (v == 1)
		return false;
	if (v == 0) {		/* the unsigned decrement would wrap upwards */
		fuzz_expect_report(KP_REPORT_REFCOUNT_UNDERFLOW);
		return true;
	}
	shadow[c] = wrap32(v - 1);
	return true;
}

static const int interesting[] = {
	0, 1, 2, 3, REFCOUNT_MAX - 1, REFCOUNT_MAX, REFCOUNT_SATURATED,
	REFCOUNT_SATURATED + 1, REFCOUNT_SATURATED - 1, INT_MIN, -1,
};

static int take_value(struct fdp *f)
{
	if (fdp_bool(f))
		return fdp_pick(f, interesting);
	return (int)fdp_u32(f);
}

static int take_amount(struct fdp *f)
{
	static const int amounts[] = { 1, 2, 3, 5, REFCOUNT_MAX / 2, REFCOUNT_MAX };

	return fdp_bool(f) ? fdp_pick(f, amounts) : (int)fdp_range(f, 1, INT_MAX);
}

/* ---- Arcs, ARefs, raw pointers, and who owns what ------------------ */

struct arc_slot {
	struct arc *arc;	/* NULL: no object in this slot */
	int held;		/* plain references the target owns */
	int drops;
};

static struct arc_slot arcs[NR_ARCS];
static struct aref arefs[NR_AREFS];
static void *raws[NR_RAWS];

/* The shadow's loops are out of coverage: their compares say nothing of kprim. */
static __no_sanitize_coverage int owned_refs(int s)
{
	void *payload;
	int n = arcs[s].held;

	if (!arcs[s].arc)
		return 0;
	payload = arc_payload(arcs[s].arc);
	for (int i = 0; i < NR_AREFS; i++)
		n += aref_ptr(&arefs[i]) == payload;
	for (int i = 0; i < NR_RAWS; i++)
		n += raws[i] == payload;
	return n;
}

static __no_sanitize_coverage int slot_of_payload(void *payload)
{
	for (int s = 0; s < NR_ARCS; s++)
		if (arcs[s].arc && arc_payload(arcs[s].arc) == payload)
			return s;
	return -1;
}

/* Runs at the last put: nothing may still be owned, and only once. */
static void arc_slot_drop(void *payload)
{
	int s = *(int *)payload;

	fuzz_assert(s >= 0 && s < NR_ARCS && arc_payload(arcs[s].arc) == payload);
	fuzz_assert(owned_refs(s) == 0);
	fuzz_assert(arcs[s].drops == 0);
	arcs[s].drops++;
}

/* After a put: if it was the last, the slot must have been dropped. */
static void arc_settle(int s, bool was_last)
{
	fuzz_assert(was_last == (owned_refs(s) == 0));
	if (was_last) {
		fuzz_assert(arcs[s].drops == 1);
		arcs[s].arc = NULL;
		arcs[s].drops = 0;
	}
}

static const gfp_t gfps[] = { GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT };

static void op_arc_new(struct fdp *f)
{
	int s = (int)fdp_choice(f, NR_ARCS);
	gfp_t gfp = fdp_pick(f, gfps) | __GFP_NOWARN;
	bool fail = fdp_u8(f) < 32;
	bool in_atomic_ctx = fdp_u8(f) < 32;
	DEFINE_SPINLOCK(lock);
	struct arc *arc;

	if (arcs[s].arc)
		return;
	if (fail)
		kp_fail_nth_set(1);
	if (in_atomic_ctx) {
		spin_lock(&lock);
		if (gfpflags_allow_blocking(gfp))
			fuzz_expect_report(KP_REPORT_SLEEP_IN_ATOMIC);
	}
	arc = arc_new(&s, sizeof(s), arc_slot_drop, gfp);
	if (in_atomic_ctx)
		spin_unlock(&lock);
	kp_fail_nth_set(0);
	fuzz_assert(!arc == fail);
	if (arc) {
		arcs[s].arc = arc;
		arcs[s].held = 1;
		arcs[s].drops = 0;
	}
}

static void op_arc_clone(struct fdp *f)
{
	int s = (int)fdp_choice(f, NR_ARCS);

	if (!arcs[s].arc)
		return;
	arcs[s].held++;
	fuzz_assert(arc_clone(arcs[s].arc) == arcs[s].arc);
}

static void op_arc_put(struct fdp *f)
{
	int s = (int)fdp_choice(f, NR_ARCS);

	if (!arcs[s].arc || !arcs[s].held)
		return;
	arcs[s].held--;
	arc_settle(s, arc_put(arcs[s].arc));
}

static void op_aref_from_arc(struct fdp *f)
{
	int s = (int)fdp_choice(f, NR_ARCS);
	int a = (int)fdp_choice(f, NR_AREFS);

	if (!arcs[s].arc || !arcs[s].held || aref_ptr(&arefs[a]))
		return;
	arcs[s].held--;		/* the plain reference becomes the aref's */
	arefs[a] = aref_from_raw(arc_payload(arcs[s].arc), &arc_aref_ops);
}

static void op_aref_get(struct fdp *f)
{
	int s = (int)fdp_choice(f, NR_ARCS);
	int a = (int)fdp_choice(f, NR_AREFS);

	if (!arcs[s].arc || aref_ptr(&arefs[a]))
		return;
	arefs[a] = aref_get(arc_payload(arcs[s].arc), &arc_aref_ops);
}

static void op_aref_clone(struct fdp *f)
{
	int from = (int)fdp_choice(f, NR_AREFS);
	int to = (int)fdp_choice(f, NR_AREFS);

	if (!aref_ptr(&arefs[from]) || aref_ptr(&arefs[to]))
		return;
	arefs[to] = aref_clone(&arefs[from]);
	fuzz_assert(aref_ptr(&arefs[to]) == aref_ptr(&arefs[from]));
}

static void op_aref_drop(struct fdp *f)
{
	int a = (int)fdp_choice(f, NR_AREFS);
	int s = slot_of_payload(aref_ptr(&arefs[a]));
	bool last;

	if (s < 0) {
		aref_drop(&arefs[a]);	/* empty: must be a no-op */
		return;
	}
	last = owned_refs(s) == 1;
	aref_drop(&arefs[a]);
	fuzz_assert(!aref_ptr(&arefs[a]));
	arc_settle(s, last);
}

static void op_aref_into_raw(struct fdp *f)
{
	int a = (int)fdp_choice(f, NR_AREFS);
	int r = (int)fdp_choice(f, NR_RAWS);
	void *expect = aref_ptr(&arefs[a]);

	if (!expect || raws[r])
		return;
	raws[r] = aref_into_raw(&arefs[a]);
	fuzz_assert(raws[r] == expect && !aref_ptr(&arefs[a]));
}

static void op_aref_from_raw(struct fdp *f)
{
	int r = (int)fdp_choice(f, NR_RAWS);
	int a = (int)fdp_choice(f, NR_AREFS);

	if (!raws[r] || aref_ptr(&arefs[a]))
		return;
	arefs[a] = aref_from_raw(raws[r], &arc_aref_ops);
	raws[r] = NULL;
}

/* After every step; out of coverage, like the loops it calls. */
static __no_sanitize_coverage void check_arcs(void)
{
	for (int s = 0; s < NR_ARCS; s++) {
		int owned;

		if (!arcs[s].arc)
			continue;
		owned = owned_refs(s);
		fuzz_assert(owned > 0);
		fuzz_assert(refcount_read(&arcs[s].arc->refcount) == (unsigned int)owned);
		fuzz_assert(arc_is_unique(arcs[s].arc) == (owned == 1));
		fuzz_assert(arcs[s].drops == 0);
	}
}

/* ---- raw refcount operations ---------------------------------------- */

enum op {
	OP_SET, OP_INC, OP_ADD, OP_INC_NOT_ZERO, OP_ADD_NOT_ZERO, OP_DEC,
	OP_DEC_AND_TEST, OP_SUB_AND_TEST, OP_DEC_IF_ONE, OP_DEC_NOT_ONE,
	OP_DEC_AND_LOCK, OP_DEC_AND_MUTEX_LOCK,
	OP_ARC_NEW, OP_ARC_CLONE, OP_ARC_PUT, OP_AREF_FROM_ARC, OP_AREF_GET,
	OP_AREF_CLONE, OP_AREF_DROP, OP_AREF_INTO_RAW, OP_AREF_FROM_RAW,
	NR_OPS
};

static void refcount_op(enum op op, struct fdp *f)
{
	int c = (int)fdp_choice(f, NR_COUNTS);
	refcount_t *r = &counts[c];
	DEFINE_SPINLOCK(lock);
	DEFINE_MUTEX(mutex);
	bool want, got;
	int i;

	switch (op) {
	case OP_SET:
		shadow[c] = take_value(f);
		refcount_set(r, shadow[c]);
		break;
	case OP_INC:
		shadow_add(c, 1);
		refcount_inc(r);
		break;
	case OP_ADD:
		i = take_amount(f);
		shadow_add(c, i);
		refcount_add(i, r);
		break;
	case OP_INC_NOT_ZERO:
		want = shadow_add_not_zero(c, 1);
		fuzz_assert(refcount_inc_not_zero(r) == want);
		break;
	case OP_ADD_NOT_ZERO:
		i = take_amount(f);
		want = shadow_add_not_zero(c, i);
		fuzz_assert(refcount_add_not_zero(i, r) == want);
		break;
	case OP_DEC:
		shadow_dec(c);
		refcount_dec(r);
		break;
	case OP_DEC_AND_TEST:
		want = shadow_sub_and_test(c, 1);
		fuzz_assert(refcount_dec_and_test(r) == want);
		break;
	case OP_SUB_AND_TEST:
		i = take_amount(f);
		want = shadow_sub_and_test(c, i);
		fuzz_assert(refcount_sub_and_test(i, r) == want);
		break;
	case OP_DEC_IF_ONE:
		want = shadow_dec_if_one(c);
		fuzz_assert(refcount_dec_if_one(r) == want);
		break;
	case OP_DEC_NOT_ONE:
		want = shadow_dec_not_one(c);
		fuzz_assert(refcount_dec_not_one(r) == want);
		break;
	case OP_DEC_AND_LOCK:
	case OP_DEC_AND_MUTEX_LOCK:
		/* lib/refcount.c: dec_not_one, else lock and dec_and_test. */
		want = !shadow_dec_not_one(c);
		if (want)
			want = shadow_sub_and_test(c, 1);
		if (op == OP_DEC_AND_LOCK) {
			got = refcount_dec_and_lock(r, &lock);
			fuzz_assert(got == want && spin_is_locked(&lock) == want);
			if (got)
				spin_unlock(&lock);
		} else {
			got = refcount_dec_and_mutex_lock(r, &mutex);
			fuzz_assert(got == want && mutex_is_locked(&mutex) == want);
			if (got)
				mutex_unlock(&mutex);
		}
		break;
	default:
		break;
	}
	fuzz_assert(refcount_read(r) == (unsigned int)shadow[c]);
}

/* ---- the target ------------------------------------------------------ */

static void teardown(void)
{
	for (int a = 0; a < NR_AREFS; a++) {
		int s = slot_of_payload(aref_ptr(&arefs[a]));
		bool last = s >= 0 && owned_refs(s) == 1;

		aref_drop(&arefs[a]);
		if (s >= 0)
			arc_settle(s, last);
	}
	for (int r = 0; r < NR_RAWS; r++) {
		int s = slot_of_payload(raws[r]);
		struct aref back;
		bool last;

		if (s < 0)
			continue;
		last = owned_refs(s) == 1;
		back = aref_from_raw(raws[r], &arc_aref_ops);
		raws[r] = NULL;
		aref_drop(&back);
		arc_settle(s, last);
	}
	for (int s = 0; s < NR_ARCS; s++) {
		while (arcs[s].arc && arcs[s].held) {
			arcs[s].held--;
			arc_settle(s, arc_put(arcs[s].arc));
		}
		fuzz_assert(!arcs[s].arc);
	}
	/* The live counters first: the walk that lists the leaks costs 40% of a run. */
	if (kp_kmemleak_report(NULL) != 0)
		fuzz_assert(kp_kmemleak_report(stderr) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdp f;

	fdp_init(&f, data, size);
	for (int c = 0; c < NR_COUNTS; c++) {
		shadow[c] = 1;
		refcount_set(&counts[c], 1);
	}

	for (int n = 0; n < MAX_OPS && !fdp_empty(&f); n++) {
		enum op op = (enum op)fdp_choice(&f, NR_OPS);

		switch (op) {
		case OP_ARC_NEW: op_arc_new(&f); break;
		case OP_ARC_CLONE: op_arc_clone(&f); break;
		case OP_ARC_PUT: op_arc_put(&f); break;
		case OP_AREF_FROM_ARC: op_aref_from_arc(&f); break;
		case OP_AREF_GET: op_aref_get(&f); break;
		case OP_AREF_CLONE: op_aref_clone(&f); break;
		case OP_AREF_DROP: op_aref_drop(&f); break;
		case OP_AREF_INTO_RAW: op_aref_into_raw(&f); break;
		case OP_AREF_FROM_RAW: op_aref_from_raw(&f); break;
		default: refcount_op(op, &f); break;
		}
		fuzz_step_done();
		check_arcs();
	}
	teardown();
	return 0;
}
