# SPDX-License-Identifier: MIT
"""headline.py - the headline ratios of a run, each against its target.

A ratio with a target carries its 95 % interval (a bootstrap of the ratio
of medians over the two rows' repetitions) and is called met or missed
only when the interval clears the target, "within noise" otherwise: on a
shared machine the host's speed drifts by 10-15 % between sweeps, enough
to flip a bare median across a target."""

import statistics

from .common import latest_run, run_dir
from .results import read_csvs, workload_ratios
from .catalog import WORKLOAD_BASE
from .stats import geomean, geomean_ratio_interval, ratio_interval, rng, verdict


def judged(k_row, p_row, target, rate=False):
    """" [lo-hi] verdict" for k_row over p_row (times, or rates when rate)."""
    key = "mops_samples" if rate else "samples"
    a, b = p_row.get(key) or [], k_row.get(key) or []
    if len(a) < 2 or len(b) < 2 or min(a) <= 0:
        return " (too few repetitions for an interval)" if target else ""
    lo, hi = ratio_interval(a, b, rng())
    call = verdict(lo, hi, target)
    return f" [{lo:.2f}-{hi:.2f}]" + (f" {call}" if call else "")

def headline_rows(suites):
    """(measure, value, target and verdict) for every headline figure the run has."""
    out = []

    def emit(measure, value, note=""):
        out.append((measure, value, note))

    def row(suite, op, impl, arg=""):
        for r in suites.get(suite, []):
            if r["op"] == op and r["impl"] == impl and r["threads"] == 1 and r["arg"] == arg:
                return r
        return None

    def med(suite, op, impl, arg=""):
        r = row(suite, op, impl, arg)
        return r["real_ns_median"] if r else None

    def ratio_line(what, k_row, p_row, peer, target="", field="real_ns_median"):
        if k_row and p_row and k_row[field] and p_row[field]:
            k, p = k_row[field], p_row[field]
            emit(what, f"{k:.2f} / {p:.2f} ns = {k / p:.2f}x",
                 f"{target}{'' if not target else ' (vs ' + peer + ')'}"
                 f"{judged(k_row, p_row, target)}".strip())

    for op, what in (("pair", "refcount inc + dec_and_test"),
                     ("inc_not_zero", "refcount inc_not_zero + dec_and_test"),
                     ("dec_and_test", "refcount dec_and_test"), ("kref", "kref get + put"),
                     ("aref", "ARef clone + drop"), ("arc", "Arc clone + put")):
        ratio_line(what + " / C11", row("ref", op, "kprim"), row("ref", op, "c11"), "C11",
                   "<= 1.2x" if op == "pair" else "")
    floor = med("ref", "rmw", "c11")
    if floor:
        emit("one relaxed atomic RMW (the floor)", f"{floor:.2f} ns")
    for op in ("empty", "atomic"):
        b, n = med("shim", op, "batched"), med("shim", op, "native")
        p = med("shim", op, "plain")
        if b is not None and n is not None:
            emit(f"shim overhead, {op}, batched - native", f"{b - n:+.3f} ns/iter", "<= 0.5 ns")
        if p is not None and n is not None:
            emit(f"shim overhead, {op}, plain - native", f"{p - n:+.3f} ns/iter")
    k, u = med("model", "switch", "kprim"), med("model", "switch", "swapcontext")
    if k and u:
        emit("model task switch / glibc swapcontext", f"{k:.2f} / {u:.2f} ns = {k / u:.3f}x",
             "<= 10 ns")
    ratio_line("kbox_pin_init composite / the same by hand", row("init", "box", "pin_init"),
               row("init", "box", "by_hand"), "by hand", "<= 1.05x")
    m = med("init", "module", "load_unload")
    if m:
        emit("in-place module load + unload", f"{m:.2f} ns")
    cvs = [r["real_cv"] for s in ("ref", "shim") for r in suites.get(s, [])
           if r["threads"] == 1 and r["repetitions"] > 1]
    if cvs:
        emit("cv across repetitions, median (max)",
             f"{100 * statistics.median(cvs):.2f}% ({100 * max(cvs):.2f}%)", "<= 3%")
    if "alloc" in suites:
        fastest = min(((med("alloc", "pair", i, "64") or 1e9), i) for i in ("mimalloc", "tcmalloc"))
        fastest_row = row("alloc", "pair", fastest[1], "64")
        ratio_line("kmalloc+kfree 64 B / faster of mimalloc, tcmalloc",
                   row("alloc", "pair", "kmalloc", "64"), fastest_row, fastest[1], "<= 1.0x")
        ratio_line("kmem_cache alloc+free 64 B / same", row("alloc", "pair", "cache", "64"),
                   fastest_row, fastest[1])
        ratio_line("batch 1000 x 64 B (LIFO), per object / mimalloc",
                   row("alloc", "batch_lifo", "kmalloc"), row("alloc", "batch_lifo", "mimalloc"),
                   "mimalloc", "<= 1.0x")
        ratio_line("batch 1000 x 64 B (FIFO), per object / mimalloc",
                   row("alloc", "batch_fifo", "kmalloc"), row("alloc", "batch_fifo", "mimalloc"),
                   "mimalloc")
        ratio_line("kvmalloc+kvfree 1 MiB / glibc malloc+free",
                   row("alloc", "pair", "kvmalloc", str(1 << 20)),
                   row("alloc", "pair", "glibc", str(1 << 20)), "glibc", "<= 1.0x")
        ratio_line("kzalloc 1 MiB, one byte written / glibc calloc",
                   row("alloc", "zalloc", "kmalloc", str(1 << 20)),
                   row("alloc", "zalloc", "glibc", str(1 << 20)), "glibc")
        ratio_line("KVVec push (1M), per push / glibc realloc array",
                   row("alloc", "kvec_push", "kvmalloc", str(1 << 20)),
                   row("alloc", "kvec_push", "glibc", str(1 << 20)), "glibc",
                   field="ns_per_item")
    for r_k in (r for r in suites.get("alloc_mt", []) if r["op"] == "remote"
                and r["impl"] == "kmalloc"):
        r_m = next((r for r in suites["alloc_mt"] if r["op"] == "remote" and
                    r["impl"] == "mimalloc" and r["threads"] == r_k["threads"] and
                    r["placement"] == r_k["placement"]), None)
        if r_m and r_m["mops_median"]:
            k, m = r_k["mops_median"], r_m["mops_median"]
            what = f"remote free, {r_k['threads']} threads {r_k['placement']}: kmalloc / mimalloc"
            value = f"{k:.1f} / {m:.1f} Mops/s"
            emit(what, value, f">= 1.0x ({k / m:.2f}x{judged(r_k, r_m, '>= 1.0x', rate=True)})")
    if "locks" in suites:
        pm = row("locks", "uncontended", "pthread_mutex")
        ratio_line("raw_spin_lock+unlock / floor (xchg + store)",
                   row("locks", "uncontended", "raw_spinlock"), row("locks", "uncontended", "floor"),
                   "floor", "<= 1.1x")
        ratio_line("mutex lock+unlock / pthread_mutex", row("locks", "uncontended", "mutex"),
                   pm, "pthread_mutex", "<= 0.75x")
        ratio_line("smutex lock+unlock / pthread_mutex", row("locks", "uncontended", "smutex"),
                   pm, "pthread_mutex", "<= 0.75x")
    out += contended_lock_rows(suites.get("locks_mt", []))
    out += workload_rows(suites)
    for suite in sorted(suites):
        if suite.endswith("_mt") and suite not in ("alloc_mt", "locks_mt"):
            for impl in ("kprim", "c11"):
                top = max((r for r in suites[suite] if r["op"] == "pair" and r["impl"] == impl),
                          key=lambda r: r["threads"], default=None)
                if top:
                    what = f"{suite} pair {impl}, {top['threads']} threads, {top['placement']}"
                    emit(what, f"{top['mops_median']:.2f} Mops/s")
    return out


def oversubscription(counts):
    """N, the run's largest count short of oversubscribed: the harness adds 2N and 4N."""
    counts = sorted(set(counts))
    for n in counts:
        if 2 * n in counts and 4 * n in counts and 4 * n == counts[-1]:
            return n
    return counts[-1] if counts else 0


def contended_lock_rows(rows):
    """kprim's spinlock and mutex against their peers, bare sections, per thread count.

    Up to N threads (the CPUs the run used) the spinlock is held to >= 1.0x
    pthread_spin with Jain >= 0.95 and the mutex to >= 1.0x the adaptive
    pthread mutex; at 2N the spinlock to >= 1.0x with Jain >= 0.9 and the
    mutex to no thread below half the mean share; 4N is reported only. The
    bare (native) queued spinlock slow path is reported beside, oversubscribed."""
    out = []
    bare = [r for r in rows if r["op"] == "contended" and r["arg"] == "0-0"]
    peers = {"raw_spinlock": "pthread_spin", "raw_spinlock_native": "pthread_spin",
             "mutex": "pthread_adaptive"}
    order = list(peers)
    for r_k in sorted((r for r in bare if r["impl"] in peers and r["threads"] > 1),
                      key=lambda r: (order.index(r["impl"]), r["placement"], r["threads"])):
        peer = peers[r_k["impl"]]
        n = oversubscription(r["threads"] for r in bare if r["impl"] == r_k["impl"]
                             and r["placement"] == r_k["placement"])
        t = r_k["threads"]
        over = {2 * n: " (2N)", 4 * n: " (4N)"}.get(t, "") if t > n else ""
        if r_k["impl"] == "raw_spinlock_native" and not over:
            continue
        r_p = next((r for r in bare if r["impl"] == peer and r["threads"] == t
                    and r["placement"] == r_k["placement"]), None)
        if not (r_p and r_p["mops_median"]):
            continue
        k, p = r_k["mops_median"], r_p["mops_median"]
        c = r_k["counters"]
        if r_k["impl"] == "raw_spinlock_native" or over == " (4N)":
            target = ""
        elif r_k["impl"] == "raw_spinlock":
            target = ">= 1.0x, Jain >= " + ("0.9" if over else "0.95")
        elif over:
            target = "min share >= 0.5"
        else:
            target = ">= 1.0x"
        judged_ratio = judged(r_k, r_p, ">= 1.0x" if ">= 1.0x" in target else "", rate=True)
        fair = []
        if c.get("jain") is not None:
            floor = 0.9 if over else 0.95
            fair.append(f"Jain {c['jain']:.3f}" + (
                f" {'met' if c['jain'] >= floor else 'missed'}"
                if r_k["impl"] == "raw_spinlock" and target else ""))
        if r_k["impl"] == "mutex" and c.get("min_share") is not None:
            share = c["min_share"]
            fair.append(f"min share {share:.2f}" +
                        (f" {'met' if share >= 0.5 else 'missed'}" if over == " (2N)" else ""))
        what = f"{r_k['impl']} contended, {t} thr{over} {r_k['placement']} / {peer}"
        out.append((what, f"{k:.1f} / {p:.1f} Mops/s",
                    f"{target} ({k / p:.2f}x{judged_ratio}"
                    + (", " + ", ".join(fair) if fair else "") + ")"))
    return out


def geomean_judged(rows, impl, peer, target):
    """kprim's geometric mean over the workloads against a peer's, with its interval."""
    cell = {(r["op"], r["impl"]): r for r in rows}
    pairs = [(cell[(op, peer)]["samples"], cell[(op, impl)]["samples"])
             for op in {r["op"] for r in rows} if (op, impl) in cell and (op, peer) in cell]
    if not pairs or any(len(a) < 2 or len(b) < 2 for a, b in pairs):
        return float("nan"), " (too few repetitions for an interval)"
    g = geomean([statistics.median(b) / statistics.median(a) for a, b in pairs])
    lo, hi = geomean_ratio_interval(pairs, rng())
    return g, f" [{lo:.2f}-{hi:.2f}] {verdict(lo, hi, target)}"


def workload_rows(suites):
    """The real programs (bench/workloads.py): kprim against the best peer, RSS, each lock row."""
    out = []
    rows = suites.get("workload", [])
    ratios = workload_ratios("workload", rows) if rows else {}
    if ratios:
        impls = {i for per in ratios.values() for i in per}
        peers = sorted((geomean([per[i][0] for per in ratios.values() if i in per]), i)
                       for i in impls if i != "kprim")
        best = peers[0][1]
        g, note = geomean_judged(rows, "kprim", best, "<= 1.0x")
        out.append((f"workloads: kprim time / {best} (best), geomean",
                    f"{g:.2f}x", f"<= 1.0x{note}"))
        for per_peer in peers:
            out.append((f"  {per_peer[1]} time / glibc, geomean", f"{per_peer[0]:.2f}x", ""))
        rss = geomean([per["kprim"][1] for per in ratios.values() if "kprim" in per])
        out.append(("workloads: kprim peak RSS / glibc, geomean", f"{rss:.2f}x",
                    f"<= 1.1x (medians) {'met' if rss <= 1.1 else 'missed'}"))
        for op, per in ratios.items():
            if "kprim" in per:
                out.append((f"  {op}: kprim time, RSS / glibc",
                            f"{per['kprim'][0]:.2f}x, {per['kprim'][1]:.2f}x", ""))
    rows = suites.get("workload_locks", [])
    base = WORKLOAD_BASE["workload_locks"]
    cell = {(r["op"], r["impl"]): r for r in rows}
    for op in dict.fromkeys(r["op"] for r in rows):
        k, p = cell.get((op, "mutex")), cell.get((op, base))
        if k and p and p["real_ns_median"]:
            out.append((f"  {op}: mutex time / {base}",
                        f"{k['real_ns_median'] / p['real_ns_median']:.2f}x",
                        f"<= 1.0x{judged(k, p, '<= 1.0x')}"))
    if rows:
        g, note = geomean_judged(rows, "mutex", base, "<= 1.0x")
        out.append((f"lock workloads: mutex time / {base}, geomean", f"{g:.2f}x",
                    f"<= 1.0x{note}"))
    return out


def cmd_headline(args):
    name = args.run or latest_run(args.results)
    rows = headline_rows(read_csvs(run_dir(args.results, name)))
    print(f"headline: run {name} (medians; ratios within this run, [95 % interval] and a "
          "verdict where there is a target)")
    print(f"  {'measure':46} {'value':>22}  target")
    for measure, value, note in rows:
        print(f"  {measure:46} {value:>22}  {note}".rstrip())
    return 0
