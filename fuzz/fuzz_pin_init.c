// SPDX-License-Identifier: MIT
/*
 * fuzz_pin_init.c - random composite initializers (init/pin_init.h) built
 * from the input, run into a slot, a box, an Arc or a stack slot, and
 * checked event by event against a shadow.
 *
 * The input describes a tree: leaves that succeed, fail with a chosen
 * errno, allocate (kmalloc, under fail-nth from the input) or are plain
 * values (PIN_VALUE: copied, no call, nothing to drop); composites
 * of 1..4 children listed in any order, some zeroed with children left
 * unlisted, some with a pinned drop; arrays of leaves; chains whose step
 * succeeds or fails. Every build, drop, pinned drop and chain step logs
 * an event. The shadow (expect_init(), expect_drop()) is pin-init's rules
 * written as plain recursion: it predicts the whole event log and the
 * errno, the allocation fail-nth hits included. Checked: the log and the
 * errno match exactly; each drop finds its object where it was built;
 * values are in place and unlisted fields of a zeroed composite still
 * zero once it is built; nothing is live
 * after the drop (kprim's count; ASan's leak check at exit).
 */
#include <errno.h>
#include <string.h>

#include "expect.h"
#include "fdp.h"

#define MAX_NODES	24
#define MAX_CHILDREN	4
#define MAX_EVENTS	256
#define LEAF_SIZE	sizeof(uint64_t)

/* The leaves first: N_STRUCT is their count. */
enum node_kind { N_OK, N_FAIL, N_ALLOC, N_VALUE, N_STRUCT, N_ARRAY, N_CHAIN, NR_KINDS };
enum event_kind { E_INIT, E_DROP, E_PINNED, E_POST };

struct node {
	enum node_kind kind;
	unsigned int id;
	int err;				/* N_FAIL; N_CHAIN: the step's (0: succeeds) */
	size_t size, offset;			/* offset: in the parent */
	unsigned int nr_children;
	struct node *child[MAX_CHILDREN];	/* N_STRUCT: in declaration order; N_CHAIN: [0] */
	unsigned int order[MAX_CHILDREN];	/* N_STRUCT: the listed children, in build order */
	unsigned int nr_listed;			/* N_STRUCT: < nr_children only if zeroed */
	bool zeroed, pinned;
	unsigned int depth;			/* nested composites can share an address */
	uint64_t value;				/* N_VALUE: what it writes */
	/* what the library is given */
	struct pin_init init;
	struct pin_field fields[MAX_CHILDREN];
	struct pin_struct ps;
	struct pin_chain chain;
	struct pin_array array;
	struct node *elem_node[MAX_CHILDREN];	/* N_ARRAY: the elements as leaves */
};

static struct node pool[MAX_NODES * 2];
static unsigned int nr_nodes;

struct event {
	uint8_t kind;
	uint8_t id;
};

static struct event got[MAX_EVENTS], want[MAX_EVENTS];
static unsigned int nr_got, nr_want;
static unsigned int allocs_until_fail;	/* the shadow's fail-nth: 0 none, n the n-th */

static void log_event(struct event *log, unsigned int *n, enum event_kind kind, unsigned int id)
{
	fuzz_assert(*n < MAX_EVENTS);
	log[(*n)++] = (struct event){ (uint8_t)kind, (uint8_t)id };
}

/* ---- the library's side: leaves, pinned drops, chain steps ------------------------------ */

static int leaf_init(void *slot, const void *arg)
{
	const struct node *n = arg;

	if (n->kind == N_FAIL)
		return n->err;
	if (n->kind == N_ALLOC) {
		void *buf = kmalloc(16, GFP_KERNEL | __GFP_NOWARN);

		if (!buf)
			return -ENOMEM;
		*(void **)slot = buf;
	} else {
		*(uint64_t *)slot = n->id;
	}
	log_event(got, &nr_got, E_INIT, n->id);
	return 0;
}

static void leaf_drop(void *obj, const void *arg)
{
	const struct node *n = arg;

	if (n->kind == N_ALLOC)
		kfree(*(void **)obj);
	else
		fuzz_assert(*(uint64_t *)obj == n->id);	/* where it was built */
	log_event(got, &nr_got, E_DROP, n->id);
}

/*
 * The pinned drops and chain steps get only the object: they find their
 * node by its address and, as a composite and its first field share one,
 * by their depth, one function per depth.
 */
#define MAX_DEPTH	4
static struct node *node_at(const void *obj, enum node_kind kind, unsigned int depth);

#define AT_DEPTH(d)									\
	static void pinned_drop_##d(void *obj)						\
	{										\
		log_event(got, &nr_got, E_PINNED, node_at(obj, N_STRUCT, d)->id);	\
	}										\
	static int chain_post_##d(void *obj)						\
	{										\
		const struct node *n = node_at(obj, N_CHAIN, d);			\
											\
		log_event(got, &nr_got, E_POST, n->id);					\
		return n->err;								\
	}
AT_DEPTH(0)
AT_DEPTH(1)
AT_DEPTH(2)
AT_DEPTH(3)
static void (*const pinned_drops[MAX_DEPTH])(void *) = {
	pinned_drop_0, pinned_drop_1, pinned_drop_2, pinned_drop_3,
};
static int (*const chain_posts[MAX_DEPTH])(void *) = {
	chain_post_0, chain_post_1, chain_post_2, chain_post_3,
};

static struct pin_init array_element(unsigned int i, const void *arg)
{
	const struct node *n = arg;

	return n->elem_node[i]->init;
}

/* ---- building the tree from the input --------------------------------------------------- */

static struct node *new_node(enum node_kind kind)
{
	struct node *n = &pool[nr_nodes];

	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->id = nr_nodes++;
	return n;
}

static void make_leaf(struct node *n, struct fdp *f)
{
	static const int errnos[] = { -EINVAL, -EBUSY, -EIO, -ENOSPC, -EXDEV, -EPERM };

	if (n->kind == N_FAIL)
		n->err = fdp_pick(f, errnos);
	n->size = LEAF_SIZE;
	if (n->kind == N_VALUE) {
		n->value = 0x76616c0000000000ULL | n->id;	/* "val" and the id */
		n->init = (struct pin_init){ .arg = &n->value, .size = LEAF_SIZE };
		return;
	}
	n->init = (struct pin_init){ .init = leaf_init, .drop = leaf_drop, .arg = n,
				     .size = LEAF_SIZE };
}

static struct node *build(struct fdp *f, unsigned int depth)
{
	enum node_kind kind = depth + 1 >= MAX_DEPTH || nr_nodes + MAX_CHILDREN + 1 >= MAX_NODES ?
			      (enum node_kind)fdp_choice(f, N_STRUCT) :
			      (enum node_kind)fdp_choice(f, NR_KINDS);
	struct node *n = new_node(kind);

	n->depth = depth;
	switch (kind) {
	case N_OK:
	case N_FAIL:
	case N_ALLOC:
	case N_VALUE:
		make_leaf(n, f);
		break;
	case N_STRUCT: {
		n->nr_children = 1 + fdp_choice(f, MAX_CHILDREN);
		n->zeroed = fdp_bool(f);
		n->pinned = fdp_bool(f);
		for (unsigned int i = 0; i < n->nr_children; i++) {
			n->child[i] = build(f, depth + 1);
			n->child[i]->offset = n->size;
			n->size += n->child[i]->size;
		}
		/* The build order: a rotation, maybe reversed; a zeroed one may list fewer. */
		unsigned int start = fdp_choice(f, n->nr_children);
		bool reverse = fdp_bool(f);

		n->nr_listed = n->zeroed ? 1 + fdp_choice(f, n->nr_children) : n->nr_children;
		for (unsigned int k = 0; k < n->nr_listed; k++) {
			unsigned int i = (start + (reverse ? n->nr_children - k : k)) % n->nr_children;
			struct node *c = n->child[i];

			n->order[k] = i;
			n->fields[k] = (struct pin_field){ c->offset, c->size, c->init };
		}
		n->ps = (struct pin_struct){ .fields = n->fields, .nr_fields = n->nr_listed,
					     .size = n->size, .zeroed = n->zeroed,
					     .pinned_drop = n->pinned ? pinned_drops[depth] : NULL };
		n->init = (struct pin_init){ .init = __pin_struct_init, .drop = __pin_struct_drop,
					     .arg = &n->ps, .size = n->size };
		break;
	}
	case N_ARRAY:
		n->nr_children = 1 + fdp_choice(f, MAX_CHILDREN);
		for (unsigned int i = 0; i < n->nr_children; i++) {
			struct node *e = new_node((enum node_kind)fdp_choice(f, N_STRUCT));

			make_leaf(e, f);
			n->elem_node[i] = e;
		}
		n->size = LEAF_SIZE * n->nr_children;
		n->array = (struct pin_array){ LEAF_SIZE, n->nr_children, array_element, n };
		n->init = (struct pin_init){ .init = __pin_array_init, .drop = __pin_array_drop,
					     .arg = &n->array, .size = n->size };
		break;
	case N_CHAIN:
		n->nr_children = 1;
		n->child[0] = build(f, depth + 1);
		n->err = fdp_bool(f) ? 0 : -ECANCELED;
		n->size = n->child[0]->size;
		n->chain = (struct pin_chain){ &n->child[0]->init, chain_posts[depth] };
		n->init = (struct pin_init){ .init = __pin_chain_init, .drop = __pin_chain_drop,
					     .arg = &n->chain, .size = n->size };
		break;
	case NR_KINDS:
		break;
	}
	return n;
}

/* ---- the shadow: pin-init's rules as plain recursion ------------------------------------ */

static void expect_drop(const struct node *n);

/* A leaf's build: the fail-nth countdown reaches an allocating leaf in build order. */
static int expect_leaf(const struct node *n)
{
	if (n->kind == N_FAIL)
		return n->err;
	if (n->kind == N_ALLOC && allocs_until_fail && !--allocs_until_fail)
		return -ENOMEM;
	if (n->kind != N_VALUE)		/* a value is copied: no call, no event */
		log_event(want, &nr_want, E_INIT, n->id);
	return 0;
}

static int expect_init(const struct node *n)
{
	int err;

	switch (n->kind) {
	case N_STRUCT:
		for (unsigned int k = 0; k < n->nr_listed; k++) {
			err = expect_init(n->child[n->order[k]]);
			if (err) {
				while (k--)	/* the built ones, latest first */
					expect_drop(n->child[n->order[k]]);
				return err;
			}
		}
		return 0;
	case N_ARRAY:
		for (unsigned int i = 0; i < n->nr_children; i++) {
			err = expect_leaf(n->elem_node[i]);
			if (err) {
				for (unsigned int j = 0; j < i; j++)	/* ascending */
					expect_drop(n->elem_node[j]);
				return err;
			}
		}
		return 0;
	case N_CHAIN:
		err = expect_init(n->child[0]);
		if (err)
			return err;
		log_event(want, &nr_want, E_POST, n->id);
		if (n->err)
			expect_drop(n->child[0]);
		return n->err;
	default:
		return expect_leaf(n);
	}
}

static bool listed(const struct node *n, unsigned int i)
{
	for (unsigned int k = 0; k < n->nr_listed; k++)
		if (n->order[k] == i)
			return true;
	return false;
}

static void expect_drop(const struct node *n)
{
	switch (n->kind) {
	case N_STRUCT:
		if (n->pinned)
			log_event(want, &nr_want, E_PINNED, n->id);
		for (unsigned int i = 0; i < n->nr_children; i++)	/* declaration order */
			if (listed(n, i))
				expect_drop(n->child[i]);
		break;
	case N_ARRAY:
		for (unsigned int i = 0; i < n->nr_children; i++)
			expect_drop(n->elem_node[i]);
		break;
	case N_CHAIN:
		expect_drop(n->child[0]);
		break;
	case N_VALUE:
		break;		/* nothing to drop */
	default:
		log_event(want, &nr_want, E_DROP, n->id);
		break;
	}
}

/* ---- running it ------------------------------------------------------------------------- */

static struct node *root;
static const unsigned char *root_obj;	/* where the root is being built */

static struct node *find_at(struct node *n, size_t offset, const void *obj, enum node_kind kind,
			    unsigned int depth)
{
	if (n->kind == kind && n->depth == depth && root_obj + offset == (const unsigned char *)obj)
		return n;
	if (n->kind == N_STRUCT)
		for (unsigned int i = 0; i < n->nr_children; i++) {
			struct node *hit = find_at(n->child[i], offset + n->child[i]->offset, obj,
						   kind, depth);

			if (hit)
				return hit;
		}
	if (n->kind == N_CHAIN)
		return find_at(n->child[0], offset, obj, kind, depth);
	return NULL;
}

static struct node *node_at(const void *obj, enum node_kind kind, unsigned int depth)
{
	struct node *n = find_at(root, 0, obj, kind, depth);

	fuzz_assert(n);
	return n;
}

/* A built object: values in place, unlisted fields of zeroed composites still zero. */
static void check_built(const struct node *n, const unsigned char *obj)
{
	switch (n->kind) {
	case N_VALUE:
		fuzz_assert(!memcmp(obj, &n->value, sizeof(n->value)));
		break;
	case N_CHAIN:
		check_built(n->child[0], obj);
		break;
	case N_ARRAY:
		for (unsigned int i = 0; i < n->nr_children; i++)
			check_built(n->elem_node[i], obj + LEAF_SIZE * i);
		break;
	case N_STRUCT:
		for (unsigned int i = 0; i < n->nr_children; i++) {
			const struct node *c = n->child[i];

			if (listed(n, i))
				check_built(c, obj + c->offset);
			else
				for (size_t b = 0; b < c->size; b++)
					fuzz_assert(obj[c->offset + b] == 0);
		}
		break;
	default:
		break;
	}
}

enum place { P_SLOT, P_BOX, P_ARC, P_STACK, NR_PLACES };

struct big {
	_Alignas(16) unsigned char bytes[LEAF_SIZE * MAX_NODES * 2];
};

static struct big slot_buf;

/* The root's initializer, noting where the object is built (boxes and Arcs allocate it). */
static int root_init(void *slot, const void *arg)
{
	(void)arg;
	root_obj = slot;
	return pin_init_run(&root->init, slot);
}

static void root_drop(void *obj, const void *arg)
{
	(void)arg;
	pin_init_drop(&root->init, obj);
}

static struct pin_init wrapper = { .init = root_init, .drop = root_drop };

static int run_in_stack(void)
{
	STACK_PIN_INIT(struct big, obj, &wrapper);

	if (obj)
		check_built(root, obj->bytes);
	return obj_err;	/* the scope ends: the drop, if it was built */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t live = kp_kmemleak_report(NULL);
	unsigned int fail_nth;
	enum place place;
	struct arc *arc;
	struct fdp f;
	int err, expected;
	void *obj;

	fdp_init(&f, data, size);
	place = (enum place)fdp_choice(&f, NR_PLACES);
	fail_nth = fdp_choice(&f, 8);	/* 0: no failure */
	nr_nodes = nr_got = nr_want = 0;
	root = build(&f, 0);
	root_obj = NULL;
	wrapper.size = root->size;

	/* The shadow: the whole log, the drop included. A box or an Arc allocates first. */
	allocs_until_fail = fail_nth;
	if ((place == P_BOX || place == P_ARC) && allocs_until_fail && !--allocs_until_fail)
		expected = -ENOMEM;
	else
		expected = expect_init(root);
	if (!expected)
		expect_drop(root);

	kp_fail_nth_set(fail_nth);
	switch (place) {
	case P_SLOT:
		err = pin_init_run(&wrapper, slot_buf.bytes);
		kp_fail_nth_set(0);
		if (!err) {
			check_built(root, slot_buf.bytes);
			pin_init_drop(&wrapper, slot_buf.bytes);
		}
		break;
	case P_BOX:
		obj = kbox_pin_init(&wrapper, GFP_KERNEL | __GFP_NOWARN);
		kp_fail_nth_set(0);
		err = IS_ERR(obj) ? (int)PTR_ERR(obj) : 0;
		if (!err) {
			check_built(root, obj);
			kbox_drop(&wrapper, obj);
		}
		break;
	case P_ARC:
		arc = arc_pin_init(&wrapper, GFP_KERNEL | __GFP_NOWARN);
		kp_fail_nth_set(0);
		err = IS_ERR(arc) ? (int)PTR_ERR(arc) : 0;
		if (!err) {
			check_built(root, arc_payload(arc));
			fuzz_assert(arc_put(arc));
		}
		break;
	default:
		err = run_in_stack();
		kp_fail_nth_set(0);
		break;
	}
	fuzz_assert(err == expected);
	fuzz_assert(nr_got == nr_want);
	fuzz_assert(!memcmp(got, want, nr_got * sizeof(got[0])));
	fuzz_assert(kp_kmemleak_report(NULL) == live);
	return 0;
}
