// SPDX-License-Identifier: MIT
/*
 * module.c - an in-place module on kprim: its state built where it stays,
 * loaded and unloaded under fail-nth so every failure point is exercised.
 *
 * The module keeps a registry other code finds it through: a mutex, a
 * list of registrations (a KVec grown with GFP_KERNEL under the mutex)
 * and a table of names (a KVec made with room for 64). Loading builds
 * the state field by field in a static slot, then registers the module
 * on a global list of modules, which points into the slot: that pointer
 * is why the state must never move, and why it is built in place. The
 * pinned drop unregisters it first, then the fields drop in declaration
 * order. A load that fails at any allocation, or finds the list of
 * modules full, leaves nothing: no registration, no memory, and no
 * unload to run.
 *
 * Build it against any variant, with nothing but pkg-config:
 *
 *   cc $(pkg-config --cflags kprim-debug) module.c \
 *      $(pkg-config --libs kprim-debug) -o module && ./module
 */
#include <errno.h>
#include <stdio.h>

#include <kprim.h>

struct registration {
	const char *what;
	unsigned int id;
};

struct registry {
	struct mutex lock;		/* protects entries */
	struct kvec entries;		/* KVec<struct registration> */
	struct kvec names;		/* KVec<char[16]>, room for 64 from the start */
	unsigned int generation;
};

/* The global list of loaded modules' registries: it points into their slots. */
static struct registry *loaded_registries[4];
static DEFINE_MUTEX(loaded_lock);

static int registry_publish(void *obj)
{
	int err = -ENOSPC;

	mutex_lock(&loaded_lock);
	for (unsigned int i = 0; i < 4; i++)
		if (!loaded_registries[i]) {
			loaded_registries[i] = obj;
			err = 0;
			break;
		}
	mutex_unlock(&loaded_lock);
	return err;
}

static void registry_unpublish(void *obj)
{
	mutex_lock(&loaded_lock);
	for (unsigned int i = 0; i < 4; i++)
		if (loaded_registries[i] == obj)
			loaded_registries[i] = NULL;
	mutex_unlock(&loaded_lock);
}

static unsigned int nr_published(void)
{
	unsigned int n = 0;

	mutex_lock(&loaded_lock);
	for (unsigned int i = 0; i < 4; i++)
		n += loaded_registries[i] != NULL;
	mutex_unlock(&loaded_lock);
	return n;
}

/* The fields, in the order they are built; they drop in declaration order. */
static const struct pin_field registry_fields[] = {
	PIN_FIELD(struct registry, lock, MUTEX_PIN_INIT("registry->lock")),
	PIN_FIELD(struct registry, entries,
		  KVEC_PIN_INIT(struct registration, KVEC_KMALLOC, 8, GFP_KERNEL | __GFP_NOWARN)),
	PIN_FIELD(struct registry, names,
		  KVEC_PIN_INIT(char[16], KVEC_KMALLOC, 64, GFP_KERNEL | __GFP_NOWARN)),
	PIN_FIELD(struct registry, generation, PIN_VALUE(unsigned int, 1)),
};
static const struct pin_init registry_struct =
	PIN_STRUCT(struct registry, registry_fields, .pinned_drop = registry_unpublish);
/* Built, then published: if publishing fails, the whole registry is dropped. */
static const struct pin_init registry_init =
	PIN_CHAIN(struct registry, &registry_struct, registry_publish);

DEFINE_INPLACE_MODULE(registry_module, struct registry, &registry_init);

static int registry_add(struct registry *r, const char *what, unsigned int id)
{
	struct registration reg = { what, id };
	int err;

	mutex_lock(&r->lock);
	err = kvec_push(&r->entries, &reg, GFP_KERNEL | __GFP_NOWARN);
	mutex_unlock(&r->lock);
	return err;
}

int main(void)
{
	size_t live_before = kp_kmemleak_report(NULL);
	unsigned int n, failures = 0;
	struct registry *r;
	int err;

	printf("kprim %s variant\n", KP_VARIANT);
	/* Fail the n-th allocation of a load, n = 1, 2, ... until a load succeeds. */
	for (n = 1;; n++) {
		kp_fail_nth_set(n);
		err = inplace_module_load(&registry_module);
		kp_fail_nth_set(0);
		if (!err)
			break;
		failures++;
		if (err != -ENOMEM || inplace_module_state(&registry_module) ||
		    nr_published() != 0 || kp_kmemleak_report(NULL) != live_before) {
			printf("load failing at allocation %u left something behind (%d)\n", n, err);
			return 1;
		}
	}
	printf("%u failing loads left nothing; load %u succeeded\n", failures, n);
	inplace_module_unload(&registry_module);

	/* The list of modules full: built, not published, so dropped whole. */
	for (unsigned int i = 0; i < 4; i++)
		loaded_registries[i] = (struct registry *)&loaded_lock;
	err = inplace_module_load(&registry_module);
	for (unsigned int i = 0; i < 4; i++)
		loaded_registries[i] = NULL;
	printf("a load with the module list full: %s, %zu objects left\n",
	       err == -ENOSPC ? "-ENOSPC" : "unexpected", kp_kmemleak_report(NULL) - live_before);
	if (err != -ENOSPC || inplace_module_state(&registry_module))
		return 1;

	if (inplace_module_load(&registry_module)) {
		printf("the last load failed\n");
		return 1;
	}

	r = inplace_module_state(&registry_module);
	for (unsigned int id = 0; id < 100; id++)
		if (registry_add(r, "device", id)) {
			printf("registration %u failed\n", id);
			return 1;
		}
	printf("registry at %p published: %u module(s), %zu registrations, generation %u\n",
	       (void *)r, nr_published(), r->entries.len, r->generation);

	err = inplace_module_unload(&registry_module);
	printf("unloaded (%d): %u module(s) published, %zu objects still allocated\n", err,
	       nr_published(), kp_kmemleak_report(NULL) - live_before);
	return err || nr_published() || kp_kmemleak_report(NULL) != live_before;
}
