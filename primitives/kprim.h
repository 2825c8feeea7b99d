/* SPDX-License-Identifier: MIT */
/*
 * kprim.h - everything public in kprim, in layer order
 * (core <- sync <- alloc <- ref, init). ref and init are siblings: the
 * initializer value (struct pin_init) is core's (core/pin.h), each type
 * defines its initializer beside itself, arc_pin_init() takes one, and
 * init/ composes them and runs them into boxes, stack slots and modules.
 *
 * Compile and link with one variant's flags and nothing else:
 * `pkg-config --cflags --libs kprim-<variant>`. They put the variant's
 * kprim_config.h on the include path; core/config.h, included first,
 * reads it, refuses configuration macros set by hand, and ties the
 * program to a library of the same configuration at link time.
 */
#ifndef KPRIM_H
#define KPRIM_H

#include "core/config.h"
#include "core/compiler.h"
#include "core/sched.h"
#include "core/atomic.h"
#include "core/futex.h"
#include "core/report.h"
#include "core/task.h"
#include "core/pin.h"

#include "sync/lockdep.h"
#include "sync/qspinlock.h"
#include "sync/spinlock.h"
#include "sync/mutex.h"
#include "sync/smutex.h"
#include "sync/nowait.h"
#include "sync/cleanup.h"

#include "alloc/gfp.h"
#include "alloc/page.h"
#include "alloc/fault.h"
#include "alloc/slab.h"
#include "alloc/vmalloc.h"
#include "alloc/kvec.h"

#include "ref/refcount.h"
#include "ref/kref.h"
#include "ref/aref.h"
#include "ref/arc.h"

#include "init/pin_init.h"
#include "init/module.h"

#include "model/model.h"

#endif /* KPRIM_H */
