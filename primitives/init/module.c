// SPDX-License-Identifier: MIT
/*
 * module.c - load and unload of in-place modules (init/module.h).
 *
 * The loaded flag changes only under the module's lock, after the
 * initializer returned 0 or the drop ran, so a reader under the lock
 * never sees a half-built or half-dropped state as loaded.
 */
#include <errno.h>

#include "core/report.h"
#include "init/module.h"

int inplace_module_load(struct inplace_module *m)
{
	int err;

	mutex_lock(&m->lock);
	if (unlikely(m->loaded)) {
		mutex_unlock(&m->lock);
		kp_report(KP_REPORT_INVARIANT, KP_CALLER,
			  "module %s: already loaded; a second load is refused", m->name);
		return -EEXIST;
	}
	err = pin_init_run(m->init, m->state);
	m->loaded = !err;	/* a failed load left nothing: exit never runs */
	mutex_unlock(&m->lock);
	return err;
}

int inplace_module_unload(struct inplace_module *m)
{
	mutex_lock(&m->lock);
	if (unlikely(!m->loaded)) {
		mutex_unlock(&m->lock);
		kp_report(KP_REPORT_INVARIANT, KP_CALLER,
			  "module %s: not loaded; nothing to unload", m->name);
		return -ENOENT;
	}
	pin_init_drop(m->init, m->state);
	m->loaded = false;
	mutex_unlock(&m->lock);
	return 0;
}

void *inplace_module_state(struct inplace_module *m)
{
	void *state;

	mutex_lock(&m->lock);
	state = m->loaded ? m->state : NULL;
	mutex_unlock(&m->lock);
	return state;
}
