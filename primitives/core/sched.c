// SPDX-License-Identifier: MIT
/*
 * sched.c - the model build's scheduler registry, the seam's calls into
 * it, and kp_yield().
 *
 * One pointer: the scheduler that owns the process while a model run is in
 * progress. The scheduler itself (coroutines, PCT choices, deadlock and
 * livelock detection) is a client of this hook, not part of the core. The
 * calls through it are out of line and carry no fuzzing coverage: they
 * are the instrument, at every atomic of the code under test. Beside it,
 * the names traces give addresses (kp_sched_name()): a ring, as naming
 * must cost nothing worth counting at every lock init of a fuzz run.
 */
#include <sched.h>

#include "core/sched.h"
#include "core/task.h"

void kp_yield(void)
{
#ifdef KP_MODEL
	if (kp_sched_ops) {
		kp_sched_point_op(KP_OP_YIELD, NULL, 0, 0, 0);
		return;
	}
#endif
	sched_yield();
}

#ifdef KP_MODEL
const struct kp_sched_ops *kp_sched_ops;

const struct kp_sched_ops *kp_sched_register(const struct kp_sched_ops *ops)
{
	const struct kp_sched_ops *prev = kp_sched_ops;

	kp_sched_ops = ops;
	return prev;
}

/*
 * noinline: the return address is the code performing the access. No
 * ASan either: it touches its own op only, which ASan would put between
 * red zones at every atomic.
 */
__no_sanitize_coverage __attribute__((noinline, no_sanitize("address"))) void
kp_sched_point_call(unsigned int kind, const volatile void *addr, unsigned int size, int order,
		    uint64_t value)
{
	if (kp_sched_ops) {
		const struct kp_sched_op op = {
			.kind = (uint8_t)kind, .order = (uint8_t)order, .size = (uint8_t)size,
			.addr = addr, .value = value, .ip = __builtin_return_address(0),
		};

		kp_sched_ops->sched_point(&op);
	}
}

__no_sanitize_coverage struct kp_task *kp_sched_current(void)
{
	return kp_sched_ops ? kp_sched_ops->current() : &kp_thread_task;
}

__no_sanitize_coverage bool kp_sched_store_relaxed_call(volatile void *addr, unsigned int size,
							uint64_t value)
{
	return kp_sched_ops && kp_sched_ops->store_relaxed &&
	       kp_sched_ops->store_relaxed(addr, size, value);
}

__no_sanitize_coverage struct kp_sched_loaded kp_sched_load_call(const volatile void *addr,
								 unsigned int size)
{
	struct kp_sched_loaded loaded = { 0, false };

	if (kp_sched_ops && kp_sched_ops->load)
		loaded.hit = kp_sched_ops->load(addr, size, &loaded.value);
	return loaded;
}

#define NAMES	512	/* a power of two */

static struct {
	const volatile void *addr;
	size_t size;
	const char *name;
} names[NAMES];
static unsigned long names_next;

void kp_sched_name(const volatile void *addr, size_t size, const char *name)
{
	/* A raw atomic: the registry is no code under test, nor a schedule point. */
	unsigned long slot = __atomic_fetch_add(&names_next, 1, __ATOMIC_RELAXED) % NAMES;

	names[slot].addr = addr;
	names[slot].size = size;
	names[slot].name = name;
}

bool kp_sched_name_lookup(const volatile void *addr, struct kp_sched_named *inner,
			  struct kp_sched_named *outer)
{
	unsigned long next = __atomic_load_n(&names_next, __ATOMIC_RELAXED);
	unsigned long oldest = next > NAMES ? next - NAMES : 0;
	size_t inner_size = 0, outer_size = 0;

	/* Newest first: a tie goes to the newer name, the object now at addr. */
	for (unsigned long i = next; i-- > oldest;) {
		uintptr_t base = (uintptr_t)names[i % NAMES].addr;
		size_t size = names[i % NAMES].size;

		if ((uintptr_t)addr < base || (uintptr_t)addr - base >= size)
			continue;
		if (!inner_size || size < inner_size) {
			*inner = (struct kp_sched_named){ names[i % NAMES].name,
							  (uintptr_t)addr - base };
			inner_size = size;
		}
		if (size > outer_size) {
			*outer = (struct kp_sched_named){ names[i % NAMES].name,
							  (uintptr_t)addr - base };
			outer_size = size;
		}
	}
	return inner_size != 0;
}
#endif
