# SPDX-License-Identifier: MIT
"""catalog.py - what the benchmark binaries offer: kprim's allocators and
locks beside their peers, every benchmark each binary must register (the
smoke test checks they all ran), and per suite its binary, operations and
implementations, which sweep specs are checked against. What a sweep runs
is a spec's business (sweeps/*.toml, spec.py)."""

import importlib.util
import os

from .common import ROOT

# kprim's allocators and the four peers install-deps.sh provides.
ALLOC_IMPLS = ["kmalloc", "kvmalloc", "glibc", "jemalloc", "mimalloc", "tcmalloc"]
# kprim's locks, the floor and the pthread and Concurrency Kit peers.
LOCK_IMPLS = ["floor", "raw_spinlock", "spinlock", "mutex", "smutex", "nowait",
              "raw_spinlock_native", "pthread_mutex", "pthread_adaptive", "pthread_spin",
              "ck_fas", "ck_ticket", "ck_mcs"]

# What each binary must offer (the smoke test checks every one ran).
EXPECTED = {
    "bench_shim": ["shim/empty/native", "shim/empty/batched", "shim/empty/plain",
                   "shim/atomic/native", "shim/atomic/batched", "shim/atomic/plain"],
    "bench_ref": ["ref/rmw/c11"] + [f"ref/{op}/{impl}" for op in
                                    ("pair", "inc_not_zero", "dec_and_test", "kref",
                                     "aref", "arc") for impl in ("kprim", "c11")]
                 + ["ref_mt/rmw/c11"]
                 + [f"ref_mt/{op}/{impl}" for op in ("pair", "inc_not_zero", "kref",
                                                      "aref", "arc")
                    for impl in ("kprim", "c11")],
    "bench_alloc": [f"alloc/pair/{impl}" for impl in ALLOC_IMPLS + ["vmalloc", "cache"]]
                   + [f"alloc/{op}/{impl}" for op in ("batch_lifo", "batch_fifo", "kvec_push")
                      for impl in ALLOC_IMPLS]
                   + [f"alloc/zalloc/{impl}" for impl in ALLOC_IMPLS + ["vmalloc"]]
                   + ["alloc/cache_bulk/kprim", "alloc/cache_loop/kprim",
                      "alloc/pressure/gfp_atomic", "alloc/pressure/gfp_kernel"]
                   + [f"alloc_mt/remote/{impl}" for impl in ALLOC_IMPLS],
    "bench_model": ["model/switch/kprim", "model/switch/swapcontext"],
    "bench_init": ["init/box/pin_init", "init/box/by_hand", "init/module/load_unload"],
    "bench_locks": [f"locks/uncontended/{impl}" for impl in LOCK_IMPLS]
                   + [f"locks_mt/{op}/{impl}" for op in ("contended", "trylock")
                      for impl in LOCK_IMPLS],
}


def _workload_names():
    """Every name bench/workloads.py can run (its tables: one place for them)."""
    spec = importlib.util.spec_from_file_location(
        "kp_workloads", os.path.join(ROOT, "bench", "workloads.py"))
    w = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(w)
    return [f"{suite}/{prog}/{impl}" for suite, progs, impls in
            (("workload", w.ALLOC_WORKLOADS, w.ALLOCATORS),
             ("workload_locks", w.LOCK_WORKLOADS, w.LOCKS))
            for prog in progs for impl in impls]


# Real programs under the preloads: what a machine has installed decides
# what runs, so the smoke test does not expect them all.
WORKLOADS = {"bench_workloads": _workload_names()}


def _suites():
    """suite -> binary, operations and implementations in registration order,
    and whether its benchmarks take a size or run on several threads."""
    suites = {}
    for binary, names in list(EXPECTED.items()) + list(WORKLOADS.items()):
        for name in names:
            suite, op, impl = name.split("/")[:3]
            s = suites.setdefault(suite, {"binary": binary, "ops": [], "impls": []})
            for key, value in (("ops", op), ("impls", impl)):
                if value not in s[key]:
                    s[key].append(value)
    for suite, s in suites.items():
        s["sized"] = suite in SIZED_SUITES
        s["threaded"] = suite.endswith("_mt")
    return suites


# The suites whose benchmarks' first argument is an object size in bytes.
SIZED_SUITES = ("alloc",)
SUITES = _suites()

# kprim's own implementations (the rest are peers, C11 and floors): plots draw them apart.
KPRIM_IMPLS = ("kmalloc", "kvmalloc", "vmalloc", "cache", "kprim", "raw_spinlock",
               "raw_spinlock_native", "spinlock", "mutex", "smutex", "nowait", "pin_init",
               "load_unload")
# The peer each workload row is normalised to (mimalloc-bench's plots).
WORKLOAD_BASE = {"workload": "glibc", "workload_locks": "pthread"}
