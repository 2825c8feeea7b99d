// SPDX-License-Identifier: MIT
/*
 * test_pin_init.c - pinned initialization (init/pin_init.h, init/module.h)
 * against pin-init's rules, event by event.
 *
 * Recording leaves log "i<id>" when they build and "d<id>" when they drop,
 * and a pinned drop logs "P<id>"; each test compares the whole log. Then
 * kprim's own pinned types as fields, every place an initializer runs,
 * fail-nth at every allocation of a composite with nothing leaked, the
 * pinning reports (moved, dropped twice, used after its drop, a field of
 * the wrong size) and in-place modules.
 */
#include <errno.h>

#include "kp_test.h"

/* ---- recording leaves -------------------------------------------------------------- */

static char events[256];

static void event(char what, int id)
{
	size_t n = strlen(events);

	snprintf(events + n, sizeof(events) - n, "%s%c%d", n ? " " : "", what, id);
}

struct leaf {
	int id;
	int err;	/* the init's result */
};

static int leaf_init(void *slot, const void *arg)
{
	const struct leaf *l = arg;

	if (l->err)
		return l->err;
	*(int *)slot = l->id;
	event('i', l->id);
	return 0;
}

static void leaf_drop(void *obj, const void *arg)
{
	const struct leaf *l = arg;

	assert_int_equal(*(int *)obj, l->id);	/* dropped where it was built */
	event('d', l->id);
}

#define LEAF(n, e)									\
	((struct pin_init){ .init = leaf_init, .drop = leaf_drop,			\
			    .arg = &(const struct leaf){ (n), (e) }, .size = sizeof(int) })

static void pinned_drop_rec(void *obj)
{
	event('P', *(int *)obj);	/* the struct's first field says which */
}

struct three {
	int a, b, c;
};

/* Built in the order c, a, b: drops still go a, b, c (declaration order). */
static const struct pin_field three_fields[] = {
	PIN_FIELD(struct three, c, LEAF(3, 0)),
	PIN_FIELD(struct three, a, LEAF(1, 0)),
	PIN_FIELD(struct three, b, LEAF(2, 0)),
};
static const struct pin_init three_init = PIN_STRUCT(struct three, three_fields,
						      .pinned_drop = pinned_drop_rec);

static int reset(void **state)
{
	events[0] = '\0';
	return kp_test_setup(state);
}

#define pin_test(f)	cmocka_unit_test_setup_teardown(f, reset, kp_test_teardown_no_leaks)

static void test_fields_run_in_listed_order_and_drop_in_declaration_order(void **state)
{
	struct three t;

	(void)state;
	assert_int_equal(pin_init_run(&three_init, &t), 0);
	assert_string_equal(events, "i3 i1 i2");
	events[0] = '\0';
	pin_init_drop(&three_init, &t);
	assert_string_equal(events, "P1 d1 d2 d3");
	assert_no_reports();
}

static const struct pin_field three_fails_fields[] = {
	PIN_FIELD(struct three, c, LEAF(3, 0)),
	PIN_FIELD(struct three, a, LEAF(1, 0)),
	PIN_FIELD(struct three, b, LEAF(2, -EXDEV)),
};
static const struct pin_init three_fails = PIN_STRUCT(struct three, three_fails_fields,
						       .pinned_drop = pinned_drop_rec);

static void test_a_failed_field_drops_the_built_ones_in_reverse(void **state)
{
	struct three t;

	(void)state;
	assert_int_equal(pin_init_run(&three_fails, &t), -EXDEV);	/* unchanged */
	/* c and a were built; the failed b is not dropped, nor is the pinned drop run. */
	assert_string_equal(events, "i3 i1 d1 d3");
	assert_no_reports();
}

struct wide {
	int first;
	int listed;
	long unlisted[4];
};

static const struct pin_field wide_fields[] = {
	PIN_FIELD(struct wide, first, LEAF(7, 0)),
	PIN_FIELD(struct wide, listed, LEAF(8, 0)),
};
static const struct pin_init wide_zeroed = PIN_STRUCT_ZEROED(struct wide, wide_fields);
static const struct pin_field wide_fails_fields[] = {
	PIN_FIELD(struct wide, first, LEAF(7, 0)),
	PIN_FIELD(struct wide, listed, LEAF(8, -ENOSPC)),
};
static const struct pin_init wide_zeroed_fails = PIN_STRUCT_ZEROED(struct wide, wide_fails_fields);

static void test_zeroed_leaves_unlisted_fields_zero(void **state)
{
	struct wide w;

	(void)state;
	memset(&w, 0xa5, sizeof(w));
	assert_int_equal(pin_init_run(&wide_zeroed, &w), 0);
	assert_int_equal(w.first, 7);
	assert_int_equal(w.listed, 8);
	for (int i = 0; i < 4; i++)
		assert_int_equal(w.unlisted[i], 0);
	pin_init_drop(&wide_zeroed, &w);
	assert_string_equal(events, "i7 i8 d7 d8");	/* the unlisted have no drop */

	events[0] = '\0';
	assert_int_equal(pin_init_run(&wide_zeroed_fails, &w), -ENOSPC);
	assert_string_equal(events, "i7 d7");
	assert_no_reports();
}

/* A nested composite fails inside: its own fields unwind, then the outer ones. */
struct outer {
	int head;
	struct three inner;
	int tail;
};

static const struct pin_field outer_fields[] = {
	PIN_FIELD(struct outer, head, LEAF(10, 0)),
	PIN_FIELD(struct outer, inner, PIN_STRUCT(struct three, three_fails_fields,
						  .pinned_drop = pinned_drop_rec)),
	PIN_FIELD(struct outer, tail, LEAF(11, 0)),
};
static const struct pin_init outer_fails = PIN_STRUCT(struct outer, outer_fields);
static const struct pin_field outer_ok_fields[] = {
	PIN_FIELD(struct outer, tail, LEAF(11, 0)),
	PIN_FIELD(struct outer, inner, PIN_STRUCT(struct three, three_fields,
						  .pinned_drop = pinned_drop_rec)),
	PIN_FIELD(struct outer, head, LEAF(10, 0)),
};
static const struct pin_init outer_ok = PIN_STRUCT(struct outer, outer_ok_fields,
						    .pinned_drop = pinned_drop_rec);

static void test_nested_composites(void **state)
{
	struct outer o;

	(void)state;
	assert_int_equal(pin_init_run(&outer_fails, &o), -EXDEV);
	assert_string_equal(events, "i10 i3 i1 d1 d3 d10");

	events[0] = '\0';
	assert_int_equal(pin_init_run(&outer_ok, &o), 0);
	assert_string_equal(events, "i11 i3 i1 i2 i10");
	events[0] = '\0';
	pin_init_drop(&outer_ok, &o);
	/* outer's pinned drop, then head, inner (its pinned drop, a, b, c), tail */
	assert_string_equal(events, "P10 d10 P1 d1 d2 d3 d11");
	assert_no_reports();
}

static int post_ok(void *obj)
{
	event('c', ((struct three *)obj)->a);
	return 0;
}

static int post_fails(void *obj)
{
	event('c', ((struct three *)obj)->a);
	return -EPERM;
}

static const struct pin_init chained = PIN_CHAIN(struct three, &three_init, post_ok);
static const struct pin_init chained_fails = PIN_CHAIN(struct three, &three_init, post_fails);

static void test_a_failed_chain_drops_the_whole_object(void **state)
{
	struct three t;

	(void)state;
	assert_int_equal(pin_init_run(&chained, &t), 0);
	assert_string_equal(events, "i3 i1 i2 c1");
	events[0] = '\0';
	pin_init_drop(&chained, &t);
	assert_string_equal(events, "P1 d1 d2 d3");

	events[0] = '\0';
	assert_int_equal(pin_init_run(&chained_fails, &t), -EPERM);
	assert_string_equal(events, "i3 i1 i2 c1 P1 d1 d2 d3");	/* pinned drop included */
	assert_no_reports();
}

/* Element i is leaf 20 + i; arg, if set, is the element that fails. */
static struct pin_init element(unsigned int i, const void *arg)
{
	static const struct leaf leaves[] = { { 20, 0 }, { 21, 0 }, { 22, 0 }, { 23, 0 } };
	static const struct leaf failing = { 99, -EIO };
	const unsigned int *fail_at = arg;

	return (struct pin_init){ .init = leaf_init, .drop = leaf_drop, .size = sizeof(int),
				  .arg = fail_at && *fail_at == i ? &failing : &leaves[i] };
}

static const unsigned int fail_at_2 = 2;
static const struct pin_init four = PIN_ARRAY(int, 4, element, NULL);
static const struct pin_init four_fails = PIN_ARRAY(int, 4, element, &fail_at_2);

static void test_arrays_drop_in_ascending_order(void **state)
{
	int a[4];

	(void)state;
	assert_int_equal(pin_init_run(&four, a), 0);
	assert_string_equal(events, "i20 i21 i22 i23");
	events[0] = '\0';
	pin_init_drop(&four, a);
	assert_string_equal(events, "d20 d21 d22 d23");

	events[0] = '\0';
	assert_int_equal(pin_init_run(&four_fails, a), -EIO);
	assert_string_equal(events, "i20 i21 d20 d21");	/* 0..k-1, ascending */
	assert_no_reports();
}

/* ---- kprim's pinned types as fields --------------------------------------------------- */

struct dev {
	struct mutex lock;
	raw_spinlock_t raw;
	spinlock_t spin;
	struct smutex slock;
	refcount_t refs;
	struct kvec items;
	struct kvec more;
	char name[8];
};

static const struct pin_field dev_fields[] = {
	PIN_FIELD(struct dev, lock, MUTEX_PIN_INIT("dev->lock")),
	PIN_FIELD(struct dev, raw, RAW_SPINLOCK_PIN_INIT("dev->raw")),
	PIN_FIELD(struct dev, spin, SPINLOCK_PIN_INIT("dev->spin")),
	PIN_FIELD(struct dev, slock, SMUTEX_PIN_INIT("dev->slock")),
	PIN_FIELD(struct dev, refs, REFCOUNT_PIN_INIT(1)),
	PIN_FIELD(struct dev, items, KVEC_PIN_INIT(int, KVEC_KMALLOC, 16, GFP_KERNEL | __GFP_NOWARN)),
	PIN_FIELD(struct dev, more, KVEC_PIN_INIT(long, KVEC_KVMALLOC, 4, GFP_KERNEL | __GFP_NOWARN)),
	PIN_FIELD(struct dev, name, PIN_VALUE(char[8], "dev0")),
};
static const struct pin_init dev_init = PIN_STRUCT(struct dev, dev_fields);

static void use_dev(struct dev *d)
{
	int v = 5;

	mutex_lock(&d->lock);
	assert_int_equal(kvec_push(&d->items, &v, GFP_KERNEL), 0);
	mutex_unlock(&d->lock);
	raw_spin_lock(&d->raw);
	raw_spin_unlock(&d->raw);
	spin_lock(&d->spin);
	spin_unlock(&d->spin);
	smutex_lock(&d->slock);
	smutex_unlock(&d->slock);
	assert_int_equal(refcount_read(&d->refs), 1);
	assert_true(d->items.cap >= 16);
	assert_true(d->more.cap >= 4);
	assert_string_equal(d->name, "dev0");
}

static void test_kprim_types_as_fields_in_a_box(void **state)
{
	struct dev *d = kbox_pin_init(&dev_init, GFP_KERNEL);

	(void)state;
	assert_false(IS_ERR(d));
	use_dev(d);
	kbox_drop(&dev_init, d);
	assert_no_reports();	/* the teardown asserts nothing is left */
}

/* Fail-nth at every allocation: each point fails cleanly, the first it cannot reach succeeds. */
static void test_every_allocation_failure_leaves_nothing(void **state)
{
	unsigned int n;

	(void)state;
	for (n = 1;; n++) {
		size_t live = kp_kmemleak_report(NULL);
		struct dev *d;

		kp_fail_nth_set(n);
		d = kbox_pin_init(&dev_init, GFP_KERNEL | __GFP_NOWARN);
		kp_fail_nth_set(0);
		if (!IS_ERR(d)) {
			kbox_drop(&dev_init, d);
			break;
		}
		assert_int_equal(PTR_ERR(d), -ENOMEM);
		assert_int_equal(kp_kmemleak_report(NULL), live);
	}
	/*
	 * Two points fail it: the box and the KVec's buffer. The KVVec's
	 * kmalloc failing is no failure: kvmalloc falls back to vmalloc.
	 */
	assert_int_equal(n, 3);
	assert_no_reports();
}

static void test_a_box_that_cannot_be_allocated_runs_nothing(void **state)
{
	void *p;

	(void)state;
	kp_fail_nth_set(1);
	p = kbox_pin_init(&three_init, GFP_KERNEL | __GFP_NOWARN);
	assert_ptr_equal(p, ERR_PTR(-ENOMEM));
	assert_string_equal(events, "");	/* the initializer never ran */

	p = kbox_pin_init(&three_fails, GFP_KERNEL);
	assert_ptr_equal(p, ERR_PTR(-EXDEV));
	assert_string_equal(events, "i3 i1 d1 d3");	/* freed, no drop of the object */
	assert_no_reports();
}

static void test_an_arc_drops_with_its_initializer(void **state)
{
	struct arc *a = arc_pin_init(&three_init, GFP_KERNEL);
	struct arc *b;

	(void)state;
	assert_false(IS_ERR(a));
	b = arc_clone(a);
	assert_false(arc_put(a));
	assert_string_equal(events, "i3 i1 i2");
	assert_true(arc_put(b));
	assert_string_equal(events, "i3 i1 i2 P1 d1 d2 d3");
	assert_ptr_equal(arc_pin_init(&three_fails, GFP_KERNEL), ERR_PTR(-EXDEV));
	assert_no_reports();
}

static void stack_scope(const struct pin_init *init, int want_err)
{
	STACK_PIN_INIT(struct three, t, init);

	assert_int_equal(t_err, want_err);
	if (t)
		event('u', t->a);	/* used inside the scope */
}

static void test_a_stack_slot_drops_at_scope_end_only_if_built(void **state)
{
	(void)state;
	stack_scope(&three_init, 0);
	assert_string_equal(events, "i3 i1 i2 u1 P1 d1 d2 d3");
	events[0] = '\0';
	stack_scope(&three_fails, -EXDEV);
	assert_string_equal(events, "i3 i1 d1 d3");
	assert_no_reports();
}

/* ---- pinning checks (debug builds) --------------------------------------------------- */

static void test_pinning_is_checked(void **state)
{
#ifdef KP_DEBUG
	struct dev *d = kbox_pin_init(&dev_init, GFP_KERNEL);
	struct dev *moved = kmalloc(sizeof(*moved), GFP_KERNEL);

	(void)state;
	assert_false(IS_ERR(d));
	assert_non_null(moved);
	memcpy(moved, d, sizeof(*d));		/* a pinned object must not move */
	mutex_lock(&moved->lock);
	assert_reports(KP_REPORT_PINNED_MOVED, 1);
	assert_msg_contains("was moved");
	assert_false(mutex_is_locked(&moved->lock));	/* refused */
	kfree(moved);

	kp_report_reset();
	pin_init_drop(&dev_init, d);
	assert_no_reports();
	mutex_lock(&d->lock);			/* used after its drop */
	assert_reports(KP_REPORT_PINNED_MOVED, 1);
	assert_msg_contains("used after its drop");
	kp_report_reset();
	mutex_destroy(&d->lock);		/* dropped twice */
	assert_reports(KP_REPORT_DOUBLE_FREE, 1);
	assert_msg_contains("dropped again after its drop");
	kfree(d);
#else
	(void)state;
	skip();
#endif
}

#ifdef KP_DEBUG
struct misfit {
	int small;
	struct mutex lock;
};

static const struct pin_field misfit_fields[] = {
	PIN_FIELD(struct misfit, lock, MUTEX_PIN_INIT("misfit->lock")),
	{ offsetof(struct misfit, small), sizeof(int), MUTEX_PIN_INIT("misfit->small") },
};
static const struct pin_init misfit_init = PIN_STRUCT(struct misfit, misfit_fields);
#endif

static void test_an_initializer_of_the_wrong_size_is_refused(void **state)
{
#ifdef KP_DEBUG
	struct misfit m;

	(void)state;
	assert_int_equal(pin_init_run(&misfit_init, &m), -EINVAL);
	assert_reports(KP_REPORT_INVARIANT, 1);
	assert_msg_contains("the field has 4");	/* a mutex's bytes for an int */
	kp_report_reset();
	mutex_lock(&m.lock);			/* the lock built first was dropped */
	assert_reports(KP_REPORT_PINNED_MOVED, 1);
#else
	(void)state;
	skip();
#endif
}

/* ---- in-place modules ------------------------------------------------------------------ */

static int module_registered;

struct registry {
	struct mutex lock;
	struct kvec items;
};

static int registry_register(void *obj)
{
	(void)obj;
	module_registered++;
	return 0;
}

static void registry_unregister(void *obj)
{
	(void)obj;
	module_registered--;
}

static const struct pin_field registry_fields[] = {
	PIN_FIELD(struct registry, lock, MUTEX_PIN_INIT("registry->lock")),
	PIN_FIELD(struct registry, items,
		  KVEC_PIN_INIT(int, KVEC_KMALLOC, 32, GFP_KERNEL | __GFP_NOWARN)),
};
static const struct pin_init registry_struct = PIN_STRUCT(struct registry, registry_fields,
							   .pinned_drop = registry_unregister);
static const struct pin_init registry_init = PIN_CHAIN(struct registry, &registry_struct,
							registry_register);
DEFINE_INPLACE_MODULE(registry, struct registry, &registry_init);

static void test_a_module_loads_in_place_and_unloads_once(void **state)
{
	struct registry *st;

	(void)state;
	assert_null(inplace_module_state(&registry));
	assert_int_equal(inplace_module_load(&registry), 0);
	assert_int_equal(module_registered, 1);
	st = inplace_module_state(&registry);
	assert_non_null(st);
	mutex_lock(&st->lock);
	mutex_unlock(&st->lock);
	assert_int_equal(inplace_module_load(&registry), -EEXIST);	/* twice: refused */
	assert_reports(KP_REPORT_INVARIANT, 1);
	assert_msg_contains("module registry: already loaded");
	assert_int_equal(module_registered, 1);
	assert_int_equal(inplace_module_unload(&registry), 0);
	assert_int_equal(module_registered, 0);	/* the drop ran once */
	assert_null(inplace_module_state(&registry));
	assert_int_equal(inplace_module_unload(&registry), -ENOENT);	/* never loaded now */
	assert_reports(KP_REPORT_INVARIANT, 2);
	assert_msg_contains("module registry: not loaded");
	assert_int_equal(module_registered, 0);
}

static void test_a_failed_load_leaves_nothing_and_never_exits(void **state)
{
	(void)state;
	kp_fail_nth_set(1);	/* the vector's buffer */
	assert_int_equal(inplace_module_load(&registry), -ENOMEM);
	kp_fail_nth_set(0);
	assert_int_equal(module_registered, 0);	/* the chain's step never ran */
	assert_null(inplace_module_state(&registry));
	assert_int_equal(inplace_module_unload(&registry), -ENOENT);
	assert_reports(KP_REPORT_INVARIANT, 1);
	assert_int_equal(inplace_module_load(&registry), 0);	/* a later load works */
	assert_int_equal(inplace_module_unload(&registry), 0);
	assert_int_equal(module_registered, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		pin_test(test_fields_run_in_listed_order_and_drop_in_declaration_order),
		pin_test(test_a_failed_field_drops_the_built_ones_in_reverse),
		pin_test(test_zeroed_leaves_unlisted_fields_zero),
		pin_test(test_nested_composites),
		pin_test(test_a_failed_chain_drops_the_whole_object),
		pin_test(test_arrays_drop_in_ascending_order),
		pin_test(test_kprim_types_as_fields_in_a_box),
		pin_test(test_every_allocation_failure_leaves_nothing),
		pin_test(test_a_box_that_cannot_be_allocated_runs_nothing),
		pin_test(test_an_arc_drops_with_its_initializer),
		pin_test(test_a_stack_slot_drops_at_scope_end_only_if_built),
		pin_test(test_pinning_is_checked),
		pin_test(test_an_initializer_of_the_wrong_size_is_refused),
		pin_test(test_a_module_loads_in_place_and_unloads_once),
		pin_test(test_a_failed_load_leaves_nothing_and_never_exits),
	};

	return kp_run_tests("pin-init", tests);
}
