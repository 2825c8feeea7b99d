// SPDX-License-Identifier: MIT
/*
 * bench_init.c - what pinned initialization costs beside writing the same
 * construction by hand, and an in-place module's load and unload.
 *
 * The object: a mutex, a refcount and a 64-byte buffer, zeroed. Each
 * iteration builds one in a fresh allocation and drops it:
 *
 *   init/box/pin_init  kbox_pin_init() of a zeroed composite (the mutex
 *                      and the refcount listed, the buffer left zero),
 *                      then kbox_drop();
 *   init/box/by_hand   kmalloc(), memset() of the buffer, mutex_init(),
 *                      refcount_set(), then mutex_destroy() and kfree():
 *                      what a C driver writes, and the floor;
 *   init/module/load_unload
 *                      inplace_module_load() and inplace_module_unload()
 *                      of the same composite in a static slot.
 *
 * The target: init/box/pin_init <= 1.05x init/box/by_hand. The
 * difference is the initializer walk: one indirect call per listed field
 * and one for the drop of each, a zeroing of the whole object instead of
 * the buffer alone.
 */
#include "harness.h"
#include "kprim.h"

struct widget {
	struct mutex lock;
	refcount_t refs;
	unsigned char buf[64];
};

static const struct pin_field widget_fields[] = {
	PIN_FIELD(struct widget, lock, MUTEX_PIN_INIT("widget->lock")),
	PIN_FIELD(struct widget, refs, REFCOUNT_PIN_INIT(1)),
};
static const struct pin_init widget_init = PIN_STRUCT_ZEROED(struct widget, widget_fields);

static void bm_box_pin_init(kpb_state *st, void *arg)
{
	(void)arg;
	while (kpb_keep_running_batch(st, KPB_BATCH))
		for (int i = 0; i < KPB_BATCH; i++) {
			struct widget *w = kbox_pin_init(&widget_init, GFP_KERNEL);

			kpb_do_not_optimize(w);
			kbox_drop(&widget_init, w);
		}
}

static void bm_box_by_hand(kpb_state *st, void *arg)
{
	(void)arg;
	while (kpb_keep_running_batch(st, KPB_BATCH))
		for (int i = 0; i < KPB_BATCH; i++) {
			struct widget *w = kmalloc(sizeof(*w), GFP_KERNEL);

			if (!w)
				continue;
			memset(w->buf, 0, sizeof(w->buf));
			mutex_init(&w->lock);
			refcount_set(&w->refs, 1);
			kpb_do_not_optimize(w);
			mutex_destroy(&w->lock);
			kfree(w);
		}
}

DEFINE_INPLACE_MODULE(widget_module, struct widget, &widget_init);

static void bm_module(kpb_state *st, void *arg)
{
	(void)arg;
	while (kpb_keep_running_batch(st, KPB_BATCH))
		for (int i = 0; i < KPB_BATCH; i++) {
			if (inplace_module_load(&widget_module)) {
				kpb_skip_with_error(st, "the module did not load");
				return;
			}
			inplace_module_unload(&widget_module);
		}
}

static void register_init_suite(void)
{
	kpb_use_real_time(kpb_register("init/box/pin_init", bm_box_pin_init, NULL));
	kpb_use_real_time(kpb_register("init/box/by_hand", bm_box_by_hand, NULL));
	kpb_use_real_time(kpb_register("init/module/load_unload", bm_module, NULL));
}

int main(int argc, char **argv)
{
	return kp_bench_main(argc, argv, register_init_suite);
}
