// SPDX-License-Identifier: MIT
/*
 * fuzz_kvec.c - KVec, VVec and KVVec under injected allocation failures.
 *
 * Three vectors of u32, one per allocator, each beside a plain shadow
 * array. The input pushes, reserves, extends, truncates and frees, and arms
 * fail-nth before any step. After every step: on -ENOMEM the vector is
 * exactly as it was (storage, length, capacity) and so is its shadow;
 * otherwise the growth followed max(2 * cap, len + n), the new elements are
 * the ones added, and whenever the storage moved every element is compared
 * with the shadow. At the end everything is freed and nothing leaks.
 */
#include <errno.h>
#include <string.h>

#include "expect.h"
#include "fdp.h"

#define MAX_OPS		256
#define MAX_EXTEND	64
#define MAX_LEN		20000

struct shadow {
	struct kvec v;
	uint32_t elems[MAX_LEN];	/* fixed: a realloc per append was a tenth of the time */
	size_t len;
};

static struct shadow vecs[3];

/* The shadow's side, out of coverage: its compares are the checker's, not kvec's. */
static __no_sanitize_coverage void check_all(const struct shadow *s)
{
	fuzz_assert(s->v.len == s->len && s->v.cap >= s->v.len);
	if (s->len)
		fuzz_assert(!memcmp(s->v.data, s->elems, s->len * sizeof(uint32_t)));
}

static __no_sanitize_coverage void shadow_append(struct shadow *s, const uint32_t *xs, size_t n)
{
	fuzz_assert(s->len + n <= MAX_LEN);
	memcpy(s->elems + s->len, xs, n * sizeof(uint32_t));
	s->len += n;
}

/* Reading the input, like fdp.c, out of coverage. */
static __no_sanitize_coverage void take_elems(struct fdp *f, uint32_t *xs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		xs[i] = fdp_u32(f);
}

/*
 * After a step that added n elements xs (or tried to, err): -ENOMEM left
 * the vector as it was; else it grew by the rule, and holds the shadow.
 */
static __no_sanitize_coverage void check_step(struct shadow *s, const struct kvec *before,
					      int err, const uint32_t *xs, size_t n)
{
	if (err) {
		fuzz_assert(err == -ENOMEM);
		fuzz_assert(s->v.data == before->data && s->v.len == before->len &&
			    s->v.cap == before->cap);
		check_all(s);
		return;
	}
	if (n) {
		if (s->v.cap != before->cap) {
			size_t want = before->cap * 2 > before->len + n ? before->cap * 2
								   : before->len + n;

			fuzz_assert(s->v.cap == want);
		}
		shadow_append(s, xs, n);
	}
	if (s->v.data != before->data)
		check_all(s);	/* it moved: everything must have come along */
	else if (n)
		fuzz_assert(!memcmp(kvec_at(&s->v, s->len - n), xs, n * sizeof(uint32_t)));
	fuzz_assert(s->v.len == s->len);
}

static void step(struct shadow *s, struct fdp *f)
{
	struct kvec before = s->v;
	uint32_t xs[MAX_EXTEND];
	size_t n = 0;
	int err = 0;
	gfp_t gfp = (fdp_bool(f) ? GFP_KERNEL : GFP_ATOMIC) | __GFP_NOWARN;

	if (fdp_u8(f) < 64)
		kp_fail_nth_set((unsigned int)fdp_range(f, 1, 3));
	switch (fdp_choice(f, 5)) {
	case 0:		/* push */
		xs[0] = fdp_u32(f);
		n = 1;
		if (s->len < MAX_LEN)
			err = kvec_push(&s->v, xs, gfp);
		else
			n = 0;
		break;
	case 1:		/* extend_from_slice */
		n = fdp_range(f, 0, MAX_EXTEND);
		take_elems(f, xs, n);
		if (s->len + n <= MAX_LEN)
			err = kvec_extend_from_slice(&s->v, xs, n, gfp);
		else
			n = 0;
		break;
	case 2: {	/* reserve: small, large, or absurd */
		size_t extra = fdp_bool(f) ? fdp_range(f, 0, 5000) : SIZE_MAX / fdp_range(f, 1, 8);

		err = kvec_reserve(&s->v, extra, gfp);
		if (!err)
			fuzz_assert(s->v.cap - s->v.len >= extra);
		if (extra > SIZE_MAX / 16)
			fuzz_assert(err == -ENOMEM);
		break;
	}
	case 3: {	/* truncate */
		size_t len = fdp_range(f, 0, s->len + 2);

		kvec_truncate(&s->v, len);
		if (len < s->len)
			s->len = len;
		fuzz_assert(s->v.cap == before.cap && s->v.data == before.data);
		break;
	}
	default:	/* free */
		kvec_free(&s->v);
		fuzz_assert(!s->v.data && !s->v.len && !s->v.cap);
		s->len = 0;
		break;
	}
	kp_fail_nth_set(0);
	check_step(s, &before, err, xs, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum kvec_alloc allocs[3] = { KVEC_KMALLOC, KVEC_VMALLOC, KVEC_KVMALLOC };
	struct fdp f;

	fdp_init(&f, data, size);
	for (int i = 0; i < 3; i++)
		kvec_init(&vecs[i].v, sizeof(uint32_t), allocs[i]);
	for (int n = 0; n < MAX_OPS && !fdp_empty(&f); n++) {
		step(&vecs[fdp_choice(&f, 3)], &f);
		fuzz_step_done();
	}
	for (int i = 0; i < 3; i++) {
		check_all(&vecs[i]);
		kvec_free(&vecs[i].v);
		vecs[i].len = 0;
	}
	fuzz_assert(kp_kmemleak_report(NULL) == 0);
	return 0;
}
