# SPDX-License-Identifier: MIT
"""smoke.py - the quick end-to-end check `make test` runs (TAP output): the
shim's every call, every binary's benchmarks and context, and the driver's
own pipeline and errors."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

from . import spec as specs
from .catalog import EXPECTED, WORKLOADS
from .headline import oversubscription
from .common import COMPARE_PY, ROOT, SYSTEM_PYTHON
from .stats import verdict
from .sweep import DEFAULT_SPEC

BENCH_PY = os.path.join(ROOT, "scripts", "bench.py")

class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        self.n += 1
        if not ok:
            self.failed += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {what}", flush=True)
        if not ok and detail:
            for line in str(detail).strip().splitlines()[-8:]:
                print(f"# {line}")
        return ok


def cmd_smoke(args):
    tap = Tap()
    build = os.path.abspath(args.build)
    tmp = tempfile.mkdtemp(prefix="kprim-smoke-")
    try:
        smoke_shim_api(tap, build, tmp)
        smoke_binaries(tap, build, tmp)
        smoke_pipeline(tap, build, tmp)
        smoke_specs(tap, build, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"1..{tap.n}")
    return 1 if tap.failed else 0


def one_line_error(r):
    lines = [line for line in (r.stderr + r.stdout).strip().splitlines() if line.strip()]
    return r.returncode != 0 and 1 <= len(lines) <= 2, (r.stderr + r.stdout)


def smoke_shim_api(tap, build, tmp):
    """Every call of bench/shim/kpbench.h, through its effect on the JSON."""
    out = os.path.join(tmp, "selftest.json")
    r = subprocess.run([os.path.join(build, "shim", "selftest"), "--benchmark_min_time=0.001",
                        f"--benchmark_out={out}", "--benchmark_out_format=json"],
                       capture_output=True, text=True)
    if not tap.check(r.returncode == 0 and os.path.exists(out), "the shim self-test runs",
                     r.stderr):
        return
    data = json.load(open(out))
    rows = data["benchmarks"]
    by_name = {b["name"]: b for b in rows}
    names = set(by_name)

    def row(name):
        return by_name.get(name, {})

    tap.check(data["context"].get("selftest_key") == "selftest_value",
              "shim: kpb_add_context lands in the JSON context")
    failed = [b["name"] for b in rows if b.get("error_occurred") and b["name"] != "api/skip"]
    tap.check(not failed, "shim: range(), thread index/count, the thread hook and "
              "iterations() agree with the registration", failed)
    tap.check("api/args/a:3/b:5" in names, "shim: kpb_args + kpb_arg_names name the run")
    tap.check({f"api/range/{n}" for n in (1, 2, 4, 8)} <= names,
              "shim: kpb_range with kpb_range_multiplier(2) runs 1, 2, 4, 8")
    tap.check({f"api/dense/{n}" for n in (0, 3, 6)} <= names,
              "shim: kpb_dense_range(0, 6, 3) runs 0, 3, 6")
    tap.check({f"api/ranges/{a}/{b}" for a in (1, 2) for b in (10, 16, 20)} <= names,
              "shim: kpb_ranges runs the product of both ranges")
    tap.check({f"api/product/{a}/{b}" for a in (1, 2) for b in (7, 8, 9)} <= names,
              "shim: kpb_args_product runs the product of both lists")
    tap.check("api/arg_name/n:42" in names, "shim: kpb_arg + kpb_arg_name")
    tap.check(row("api/threads/threads:2").get("threads") == 2
              and {"api/thread_range/threads:1", "api/thread_range/threads:2",
                   "api/dense_thread_range/threads:1", "api/dense_thread_range/threads:3"}
              <= names, "shim: kpb_threads, kpb_thread_range, kpb_dense_thread_range")
    tap.check(row(f"api/thread_per_cpu/threads:{os.cpu_count()}").get("threads")
              == os.cpu_count(), "shim: kpb_thread_per_cpu runs one thread per CPU")
    tap.check(row("api/iterations/iterations:1000").get("iterations") == 1000,
              "shim: kpb_iterations fixes the iteration count")
    b = row("api/batch/iterations:1000")
    tap.check(b.get("ran") == b.get("iterations") == 1000,
              "shim: kpb_keep_running_batch runs exactly the iterations it reports", b)
    agg = [b for b in rows if b["name"].startswith("api/aggregates_only/")]
    tap.check(agg and all(b["run_type"] == "aggregate" for b in agg)
              and {b["aggregate_name"] for b in agg} == {"mean", "median", "stddev", "cv"},
              "shim: kpb_repetitions + kpb_aggregates_only report only aggregates")
    disp = [b for b in rows if b["name"].startswith("api/display_aggregates/")]
    tap.check(sum(b["run_type"] == "iteration" for b in disp) == 3,
              "shim: kpb_display_aggregates_only keeps the repetitions in the file")
    tap.check(row("api/unit_ms").get("time_unit") == "ms", "shim: kpb_unit")
    big_o = row("api/complexity_BigO")
    tap.check(big_o.get("big_o") == "N" and "api/complexity_RMS" in names,
              "shim: kpb_complexity + kpb_set_complexity_n fit O(N)", big_o)
    c = row("api/counters/iterations:100")
    tap.check(c.get("plain") == 5 and c.get("avg_threads") == 6 and c.get("kibi") == 2048
              and c.get("iter_invariant") == 200 and c.get("avg_iterations") == 1
              and c.get("inverted") == 0.25 and c.get("rate", 0) > 5
              and c.get("avg_threads_rate", 0) > 6 and c.get("iter_invariant_rate", 0) > 200
              and c.get("avg_iterations_rate", 0) > 1,
              "shim: kpb_counter applies every counter flag", c)
    tap.check(c.get("items_per_second", 0) > 0 and c.get("bytes_per_second", 0) > 0
              and c.get("label") == "labelled",
              "shim: items/bytes processed and kpb_set_label", c)
    p = row("api/pause/iterations:5")
    tap.check(p.get("time_unit") == "us" and 0 < p.get("real_time", 1e9) < 1000,
              "shim: time spent between pause and resume is not counted", p)
    sk = row("api/skip")
    tap.check(sk.get("error_occurred") and sk.get("error_message") == "deliberate error"
              and "selftest:" not in r.stderr,
              "shim: kpb_skip_with_error fails the run with its message; "
              "kpb_error_occurred follows", r.stderr)
    tap.check({"api/real_time/real_time", "api/process_time/process_time",
               "api/min_time/min_time:0.002/min_warmup_time:0.001"} <= names,
              "shim: kpb_use_real_time, kpb_measure_process_cpu_time, kpb_min_time, "
              "kpb_min_warmup_time")


def smoke_binaries(tap, build, tmp):
    for binary, expected in EXPECTED.items():
        path = os.path.join(build, binary)
        if not tap.check(os.access(path, os.X_OK), f"{binary} is built", path):
            continue
        listed = subprocess.run([path, "--benchmark_list_tests=true"], capture_output=True,
                                text=True).stdout.split()
        bare = {"/".join(n.split("/")[:3]) for n in listed}
        missing = [e for e in expected if e not in bare]
        tap.check(not missing, f"{binary} registers every expected benchmark",
                  f"missing: {missing}")
        out = os.path.join(tmp, f"{binary}.json")
        r = subprocess.run([path, "--benchmark_min_time=0.001", "--benchmark_repetitions=2",
                            f"--benchmark_out={out}", "--benchmark_out_format=json"],
                           capture_output=True, text=True)
        if not tap.check(r.returncode == 0, f"{binary} runs every benchmark once",
                         r.stderr):
            continue
        try:
            with open(out) as f:
                data = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            tap.check(False, f"{binary} JSON parses", e)
            continue
        ran = {b["run_name"] for b in data["benchmarks"] if b.get("run_type") == "iteration"
               and not b.get("error_occurred")}
        tap.check(set(listed) <= ran, f"{binary} JSON has a result for every listed benchmark",
                  f"missing: {sorted(set(listed) - ran)[:5]}")
        aggs = {b.get("aggregate_name") for b in data["benchmarks"]
                if b.get("run_type") == "aggregate"}
        tap.check({"mean", "median", "stddev", "cv"} <= aggs,
                  f"{binary} JSON has mean/median/stddev/cv aggregates", aggs)
        ctx = data.get("context", {})
        keys = ["kp_placement", "kp_cpus", "kp_mem", "kp_topology", "kp_binding", "kp_variant",
                "kp_config", "kp_compiler", "kp_cflags", "kp_pingpong_before_ns",
                "library_build_type"]
        tap.check(all(k in ctx for k in keys), f"{binary} JSON context has kprim's keys",
                  f"missing: {[k for k in keys if k not in ctx]}")
        if binary == "bench_alloc":
            tap.check(ctx.get("kp_alloc_peers_missing") == "",
                      "bench_alloc loads jemalloc, mimalloc and tcmalloc beside glibc",
                      f"missing: {ctx.get('kp_alloc_peers_missing')}")
        r = subprocess.run([SYSTEM_PYTHON, COMPARE_PY, "benchmarks", out, out],
                           capture_output=True, text=True)
        tap.check(r.returncode == 0 and expected[0] in r.stdout,
                  f"{binary} JSON loads in Google Benchmark's compare.py", r.stderr)

    workloads = os.path.join(build, "bench_workloads")
    r = subprocess.run([workloads, "--benchmark_bogus=1"], capture_output=True, text=True)
    ok, out = one_line_error(r)
    tap.check(ok and "unknown option" in out, "bench_workloads rejects an unknown flag in one line",
              out)
    listed = subprocess.run([workloads, "--benchmark_list_tests=true"], capture_output=True,
                            text=True).stdout.split()
    tap.check(set(listed) <= set(WORKLOADS["bench_workloads"]) and
              {f"workload/sqlite/{i}" for i in ("glibc", "jemalloc", "mimalloc", "tcmalloc",
                                                "kprim")} <= set(listed),
              "bench_workloads lists its workloads under every allocator", listed[:8])

    ref = os.path.join(build, "bench_ref")
    for flags, what, needle in (
            (["--benchmark_bogus=1"], "an unknown benchmark flag", "unknown argument"),
            (["--kp_placement=bogus"], "an unknown placement", "unknown placement"),
            (["--kp_mem=far"], "an unknown memory policy", "unknown policy"),
            (["--kp_placement=cpus:4096"], "a CPU list naming a missing CPU", "does not exist"),
            (["--kp_threads=0"], "a bad thread count", "wants an integer"),
            (["--kp_frobnicate"], "an unknown kprim flag", "unknown flag")):
        r = subprocess.run([ref, "--benchmark_list_tests=true"] + flags, capture_output=True,
                           text=True)
        ok, out = one_line_error(r)
        tap.check(ok and needle in out, f"bench_ref rejects {what} in one line", out)


def smoke_pipeline(tap, build, tmp):
    jobs = [j["name"] for j in specs.load(DEFAULT_SPEC)["jobs"]]
    results, plots = os.path.join(tmp, "results"), os.path.join(tmp, "plots")
    me = [sys.executable, BENCH_PY]
    common = ["--results", results, "--plots", plots]
    sweep = me + common + ["sweep", "--build", build, "--run", "smoke", "--quick", "--quiet"]
    r = subprocess.run(sweep, capture_output=True, text=True)
    if not tap.check(r.returncode == 0, "a quick sweep completes", r.stdout + r.stderr):
        return
    d = os.path.join(results, "smoke")
    files = os.listdir(d)
    need = ["manifest.json", "topology.xml", "shim.csv", "ref.csv", "ref_mt.csv"] + \
        [f"{j}.json" for j in jobs]
    tap.check(all(f in files for f in need) and not any(f.endswith(".tmp") for f in files),
              "the run folder has JSON, CSV, topology and manifest, no temp files",
              f"have {sorted(files)}")
    m = json.load(open(os.path.join(d, "manifest.json")))
    tap.check(all(j["status"] == "complete" and j["pingpong_ns"]["after"] is not None
                  for j in m["jobs"].values()), "the manifest marks every job complete")
    ctx = json.load(open(os.path.join(d, "ref.json")))["context"]
    tap.check("kp_pingpong_after_ns" in ctx and "kp_git_commit" in ctx,
              "the JSON context carries the after-probe and the git commit")
    r = subprocess.run(sweep, capture_output=True, text=True)
    tap.check(r.returncode == 0 and r.stdout.count("complete already, skipping") == len(jobs),
              "re-running the same run skips what is complete", r.stdout)
    r = subprocess.run(me + common + ["plots", "--run", "smoke"], capture_output=True,
                       text=True)
    if tap.check(r.returncode == 0, "every plot script renders", r.stderr):
        out = os.listdir(os.path.join(plots, "smoke"))
        pngs = [f for f in out if f.endswith(".png")]
        svgs = [f for f in out if f.endswith(".svg")]
        tap.check(len(pngs) >= 3 and len(pngs) == len(svgs) and all(
            os.path.getsize(os.path.join(plots, "smoke", f)) > 1000 for f in pngs + svgs),
            "plots come as non-empty PNG and SVG pairs", out)
        scaling = "locks_mt_contended_0-0_scaling"
        panels = sorted(f for f in out if f.startswith(scaling + ".dat."))
        tap.check(f"{scaling}.png" in out and len(panels) == 2,
                  "lock scaling is drawn as small multiples, a panel per placement", panels)
        with open(os.path.join(plots, "smoke", f"{scaling}.dat.1")) as f:
            first = f.read().split("\n\n\n")
        tap.check(len(first) >= 10 and "alloc_pair_strips.png" in out,
                  "every implementation has its line, and the allocator pairs their "
                  "repetitions as strips", (len(first), [f for f in out if "strips" in f]))
        with open(os.path.join(plots, "smoke", "workload_time.dat")) as f:
            table = [line.split() for line in f]
        tap.check("workload_workloads.png" in out and "workload_locks_workloads.png" in out
                  and table[0][:2] == ["workload", "glibc"] and table[-1][0] == "geomean"
                  and all(row[1] == "1" for row in table[1:]),
                  "the workload suites are drawn relative to glibc, geometric mean last",
                  table)
    smoke_compare(tap, me, common, results, plots, d)
    smoke_reports(tap, plots, tmp)
    r = subprocess.run(me + common + ["headline", "--run", "smoke"], capture_output=True,
                       text=True)
    tap.check(r.returncode == 0 and "refcount inc + dec_and_test / C11" in r.stdout,
              "the headline table prints", r.stdout + r.stderr)
    tap.check(re.search(r"workloads: kprim time / \w+ \(best\), geomean +[0-9.]+x +<= 1\.0x "
                        r"\[[0-9.]+-[0-9.]+\]", r.stdout) is not None and
              "lock workloads: mutex time / pthread, geomean" in r.stdout,
              "the headline judges kprim on real programs against the best allocator and "
              "glibc's mutex", r.stdout)
    tap.check(re.search(r"raw_spinlock contended, \d+ thr \(2N\) \w+ / pthread_spin .*"
                        r">= 1\.0x, Jain >= 0\.9 \(", r.stdout) is not None and
              re.search(r"mutex contended, \d+ thr \(2N\) \w+ / pthread_adaptive .*"
                        r"min share >= 0\.5 \(.*min share [0-9.]+ (met|missed)", r.stdout)
              is not None and "(4N)" in r.stdout and
              [oversubscription(c) for c in ([1, 2, 4, 8], [1, 3, 6, 12], [1, 2])] == [2, 3, 2],
              "the headline carries the oversubscribed (2N) lock rows with their targets",
              r.stdout)
    tap.check(re.search(r"<= 1\.2x \(vs C11\) \[[0-9.]+-[0-9.]+\] (met|missed|within noise)",
                        r.stdout) is not None,
              "a headline ratio with a target carries its interval and a verdict", r.stdout)
    calls = [verdict(0.9, 1.1, "<= 1.2x"), verdict(1.1, 1.3, "<= 1.2x"),
             verdict(1.3, 1.4, "<= 1.2x"), verdict(1.01, 1.2, ">= 1.0x"),
             verdict(0.95, 1.05, ">= 1.0x"), verdict(0.8, 0.9, ">= 1.0x")]
    tap.check(calls == ["met", "within noise", "missed", "met", "within noise", "missed"],
              "a target is met or missed only when the interval clears it", calls)

    bad = os.path.join(results, "broken")
    os.makedirs(bad)
    shutil.copy(os.path.join(d, "manifest.json"), bad)
    with open(os.path.join(bad, "ref.csv"), "w") as f:
        f.write("suite,op\nref,pair\n")
    for argv, what, needle in (
            (["sweep", "--run", "a/b", "--quick"], "a run name with a slash", "bad run name"),
            (["plots", "--run", "missing"], "plots of a missing run", "no run 'missing'"),
            (["plots", "--run", "broken"], "plots of a corrupt run", "corrupt"),
            (["compare", "smoke", "missing"], "compare with a missing run", "no run 'missing'"),
            (["sweep", "--repetitions", "0"], "a bad repetition count", "repetitions"),
            (["sweep", "--bogus"], "an unknown option", "unrecognized arguments")):
        r = subprocess.run(me + common + argv, capture_output=True, text=True)
        ok, out = one_line_error(r)
        tap.check(ok and needle in out and "Traceback" not in out,
                  f"bench.py rejects {what} in one line", out)
    empty = os.path.join(plots, "broken")
    tap.check(not os.path.exists(empty) or not os.listdir(empty),
              "a failed plot leaves no empty plot behind")


def smoke_specs(tap, build, tmp):
    """Sweep specs: checked before anything runs, selections honoured, recorded, resumed."""
    results = os.path.join(tmp, "spec-results")
    me = [sys.executable, BENCH_PY, "--results", results, "--plots", os.path.join(tmp, "p")]

    def sweep(spec_text, run, *extra):
        path = os.path.join(tmp, f"{run}.toml")
        with open(path, "w") as f:
            f.write(spec_text)
        return subprocess.run(me + ["sweep", "--build", build, "--spec", path, "--run", run,
                                    "--quick", "--quiet"] + list(extra),
                              capture_output=True, text=True)

    examples = sorted(f for f in os.listdir(os.path.join(ROOT, "sweeps")) if f.endswith(".toml"))
    bad = []
    for f in examples:
        try:    # the NUMA example needs two nodes: checked as on such a machine
            specs.load(os.path.join(ROOT, "sweeps", f), numa_nodes=2)
        except Exception as e:  # noqa: BLE001 - any failure is the finding
            bad.append(f"{f}: {e}")
    tap.check(len(examples) >= 3 and not bad, "every spec in sweeps/ is valid", bad or examples)

    r = sweep('repetitons = 3\n[[job]]\nsuite = "ref"\n', "typo")
    out = r.stdout + r.stderr
    tap.check(r.returncode == 2 and "unknown key 'repetitons'" in out
              and len(out.strip().splitlines()) == 1 and "Traceback" not in out
              and not os.path.exists(os.path.join(results, "typo")),
              "a spec with a typo is refused in one line naming the key, before anything runs",
              out)
    r = sweep('placements = "cpus:0,4095"\n[[job]]\nsuite = "locks_mt"\n'
              'impls = ["mutex", "pthread_mutx"]\nbenchmarks = ["contendd"]\n'
              '[[job]]\nsuite = "allocs"\n[[job]]\nsuite = "ref"\nsizes = [64]\n', "many")
    lines = (r.stdout + r.stderr).strip().splitlines()
    needles = ("unknown impls 'pthread_mutx'", "unknown benchmarks 'contendd'",
               "names CPU(s) 4095", "unknown suite 'allocs'", "'sizes' does not apply to ref")
    tap.check(r.returncode == 2 and all(sum(n in line for line in lines) >= 1 for n in needles)
              and len(lines) == 6,
              "unknown benchmarks, peers and suites and impossible placements: a line each",
              "\n".join(lines))
    r = sweep('[[job]]\nsuite = "alloc"\nbenchmarks = ["pair"]\nsizes = [64, 100]\n', "sizes")
    r2 = sweep('[[job]]\nsuite = "locks_mt"\nthreads = [3, 2000]\n', "counts")
    out = r.stdout + r.stderr + r2.stdout + r2.stderr
    tap.check(r.returncode == 2 and "no benchmark runs at size(s) 100" in out
              and r2.returncode == 2
              and "'threads' goes up to 1024 (the harness's limit), got 2000" in out,
              "sizes and thread counts no benchmark offers are refused", out)

    picked = ('[[job]]\nsuite = "locks_mt"\nbenchmarks = ["trylock"]\n'
              'impls = ["mutex", "pthread_mutex"]\nthreads = [1, 2]\n'
              '[[job]]\nsuite = "alloc"\nbenchmarks = ["pair"]\nimpls = ["kmalloc"]\n'
              'sizes = [64, 4096]\n')
    r = sweep(picked, "picked")
    d = os.path.join(results, "picked")
    ran = set()
    for job in ("locks_mt", "alloc"):
        try:
            with open(os.path.join(d, f"{job}.json")) as f:
                ran |= {b["run_name"] for b in json.load(f)["benchmarks"]}
        except (OSError, ValueError):
            pass
    want = {f"locks_mt/trylock/{i}/iterations:1/real_time/threads:{t}"
            for i in ("mutex", "pthread_mutex") for t in (1, 2, 4, 8)} | \
        {f"alloc/pair/kmalloc/{n}/real_time" for n in (64, 4096)}
    tap.check(r.returncode == 0 and ran == want,
              "a spec runs exactly what it selects (the oversubscribed counts come along)",
              f"{r.stderr}\nran - want: {sorted(ran - want)}\nwant - ran: {sorted(want - ran)}")
    # a bigger machine's counts and placements, from the command line
    listed = ('[[job]]\nsuite = "locks_mt"\nbenchmarks = ["trylock"]\nimpls = ["mutex"]\n'
              'placements = "compact"\n')
    rl = sweep(listed, "listed", "--threads", "1,3", "--placements", "scatter")
    try:
        with open(os.path.join(results, "listed", "locks_mt.json")) as f:
            got = {b["run_name"] for b in json.load(f)["benchmarks"]}
        with open(os.path.join(results, "listed", "manifest.json")) as f:
            cmd = json.load(f)["jobs"]["locks_mt"].get("command", "")
    except (OSError, ValueError, KeyError):
        got, cmd = set(), ""
    tap.check(rl.returncode == 0 and "--kp_placement=scatter" in cmd and got ==
              {f"locks_mt/trylock/mutex/iterations:1/real_time/threads:{t}" for t in (1, 3, 6, 12)},
              "--threads takes a list of counts and --placements replaces the spec's",
              f"{rl.stderr}\n{cmd}\n{sorted(got)}")
    m = json.load(open(os.path.join(d, "manifest.json"))) if r.returncode == 0 else {}
    tap.check(m.get("spec", {}).get("digest") and os.path.exists(os.path.join(d, "spec.toml"))
              and open(os.path.join(d, "spec.toml")).read() == picked,
              "the run folder keeps the spec it ran and the manifest its digest", m.get("spec"))
    commands = [j.get("command", "") for j in m.get("jobs", {}).values()]
    r = sweep('interleave = "yes"\n[[job]]\nsuite = "ref"\n', "interleave")
    tap.check(commands and all("--benchmark_enable_random_interleaving=true" in c
                               for c in commands)
              and r.returncode == 2 and "'interleave' wants true or false" in r.stderr,
              "repetitions are interleaved over the job unless the spec says otherwise",
              (commands, r.stderr))
    # Ctrl-C in the middle: the finished jobs stay, the message says how to resume
    path = os.path.join(tmp, "stopped.toml")
    with open(path, "w") as f:
        f.write(picked)
    p = subprocess.Popen(me + ["sweep", "--build", build, "--spec", path, "--run", "stopped",
                               "--quick", "--quiet"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    manifest = os.path.join(results, "stopped", "manifest.json")
    for _ in range(200):
        if os.path.exists(manifest) and '"running"' in open(manifest).read():
            break
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    states = [j.get("status") for j in json.load(open(manifest))["jobs"].values()] \
        if os.path.exists(manifest) else []
    tap.check(p.returncode == 130 and "interrupted" in states and
              f"sweep --spec {path} --run stopped` resumes" in err,
              "Ctrl-C stops a sweep, marks its job interrupted and says how to resume it", err)
    r = sweep(picked, "stopped")
    tap.check(r.returncode == 0 and "locks_mt" in r.stdout and
              json.load(open(manifest))["jobs"]["alloc"].get("status") == "complete",
              "the same command resumes it to the end", r.stdout + r.stderr)
    changed = picked.replace('impls = ["kmalloc"]', 'impls = ["glibc"]')
    r = sweep(changed, "picked")
    out = r.stdout + r.stderr
    tap.check(r.returncode == 2 and "another spec" in out and "--allow-spec-change" in out,
              "resuming a run with a changed spec is refused", out)
    r = sweep(changed, "picked", "--allow-spec-change")
    tap.check(r.returncode == 0 and "[1/2] locks_mt: complete already, skipping" in r.stdout
              and "[2/2] alloc: 2 benchmarks" in r.stdout,
              "--allow-spec-change re-runs only the jobs the change touches", r.stdout + r.stderr)


def smoke_compare(tap, me, common, results, plots, run):
    """A run against a copy of itself with one benchmark made 3x slower and another host."""
    slow = os.path.join(results, "slow")
    shutil.copytree(run, slow)
    path = os.path.join(slow, "ref.json")
    data = json.load(open(path))
    for b in data["benchmarks"]:
        if b.get("run_name") == "ref/kref/kprim/real_time":
            b["real_time"] *= 3 + 0.01 * b.get("repetition_index", 0)
    json.dump(data, open(path, "w"))
    m = json.load(open(os.path.join(slow, "manifest.json")))
    m["host"] = "another-host"
    json.dump(m, open(os.path.join(slow, "manifest.json"), "w"))
    # the regression needs repetitions the U test can tell apart, not a quick
    # run's noise: five of each, within 4 % of the first
    for d in (run, slow):
        p = os.path.join(d, "ref.json")
        data = json.load(open(p))
        first = {b["run_name"]: b for b in data["benchmarks"]
                 if b.get("run_type") == "iteration" and b.get("repetition_index") == 0}
        for b in data["benchmarks"]:
            if b.get("run_type") == "iteration" and b.get("repetition_index") == 1:
                b["real_time"] = first[b["run_name"]]["real_time"] * 1.01
        for i in range(2, 5):
            for b in first.values():
                data["benchmarks"].append(dict(b, repetition_index=i,
                                               real_time=b["real_time"] * (1 + 0.01 * i)))
        json.dump(data, open(p, "w"))
    r = subprocess.run(me + common + ["compare", "smoke", "slow"], capture_output=True,
                       text=True)
    out_dir = os.path.join(plots, "compare-smoke-vs-slow")
    summary = open(os.path.join(out_dir, "summary.md")).read() \
        if os.path.exists(os.path.join(out_dir, "summary.md")) else ""
    regressions = summary.split("regressions")[-1].split("## Panels")[0]
    tap.check(r.returncode == 0 and "| ref | 13 |" in summary and "ref/kref/kprim" in regressions
              and regressions.count("| ref/") == 1,
              "compare: the one changed benchmark is the one significant regression, "
              "with its suite's geometric mean", r.stdout + r.stderr)
    tap.check("different machines: " in summary.split("| suite")[0],
              "compare says at the top when the runs come from different machines", summary[:400])
    pngs = sorted(f for f in os.listdir(out_dir) if f.endswith(".png")) \
        if os.path.isdir(out_dir) else []
    rows = [sum(1 for _ in open(os.path.join(out_dir, f[:-4] + ".dat"))) for f in pngs]
    tap.check(pngs and max(rows) <= 40 and "ref.png" in pngs and
              all(f"compare.py-{j}.txt" in os.listdir(out_dir) for j in ("ref", "shim")),
              "compare draws a panel per suite (at most 40 rows each) and keeps compare.py's "
              "table per job", pngs)
    r = subprocess.run(me + common + ["compare", "smoke", "slow", "--normalise"],
                       capture_output=True, text=True)
    regressions = r.stdout.split("regressions")[-1]
    tap.check(r.returncode == 0 and "Normalised" in r.stdout and "ref/kref/kprim" in regressions
              and "c11" not in regressions,
              "compare --normalise: kprim's own regression still stands out of its peers' noise",
              r.stdout + r.stderr)
    # the host slower by half for the whole ref job: peers and kprim alike
    drifted = os.path.join(results, "drifted")
    shutil.copytree(run, drifted)
    path = os.path.join(drifted, "ref.json")
    data = json.load(open(path))
    for b in data["benchmarks"]:
        for key in ("real_time", "cpu_time"):
            if key in b and b.get("aggregate_name") != "cv":
                b[key] *= 1.5
    json.dump(data, open(path, "w"))
    raw = subprocess.run(me + common + ["compare", "smoke", "drifted"], capture_output=True,
                         text=True)
    r = subprocess.run(me + common + ["compare", "smoke", "drifted", "--normalise"],
                       capture_output=True, text=True)
    tap.check(raw.returncode == 0 and "| ref | 13 | 1.500 | 0 | 13 |" in raw.stdout and
              r.returncode == 0 and "| ref | 13 | 1.000 | 0 | 0 |" in r.stdout and
              "the host's drift and noise explain 13 (100 %)" in r.stdout,
              "compare --normalise divides a job's drift out and says how much it explains",
              raw.stdout + r.stdout + r.stderr)


def in_browser(page, shot):
    """Load page in headless Chromium: (images [(alt, loaded)], link targets, screenshot taken)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1600"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        driver.set_page_load_timeout(60)
        driver.get("file://" + os.path.abspath(page))
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.alt, i.complete && i.naturalWidth > 0])")
        links = driver.execute_script("return Array.from(document.links).map(a => a.href)")
        taken = driver.save_screenshot(shot)
    finally:
        driver.quit()
    return images, links, taken


def smoke_reports(tap, plots, tmp):
    """The run's and the comparison's pages, in a real browser."""
    for page, what in ((os.path.join(plots, "smoke", "index.html"), "the run's report"),
                       (os.path.join(plots, "compare-smoke-vs-slow", "index.html"),
                        "the comparison's report")):
        if not tap.check(os.path.exists(page), f"{what} is written ({os.path.basename(page)})",
                         page):
            continue
        shot = os.path.join(tmp, os.path.basename(os.path.dirname(page)) + ".png")
        try:
            images, links, taken = in_browser(page, shot)
        except Exception as e:  # noqa: BLE001 - no browser is the finding
            tap.check(False, f"{what} loads in headless Chromium", e)
            continue
        broken = [alt for alt, loaded in images if not loaded]
        dead = [h for h in links if not h.startswith("file://")
                or not os.path.exists(urllib.parse.unquote(urllib.parse.urlparse(h).path))]
        tap.check(len(images) >= 3 and not broken,
                  f"{what} loads in headless Chromium with every image ({len(images)})", broken)
        tap.check(not dead, f"{what} has no broken link ({len(links)} links)", dead)
        tap.check(taken and os.path.getsize(shot) > 10000,
                  f"{what}: a screenshot is taken", shot)
        with open(page) as f:
            text = f.read()
        tap.check("src=\"data:image/png;base64," in text and "src=\"http" not in text,
                  f"{what} is self-contained: its images are embedded", text[:200])
