#!/usr/bin/env python3
"""bench.py - kprim's benchmark driver.

  sweep     run the benchmark suites into results/<run>/ (resumable)
  plots     render results/<run>/ into plots/<run>/ with gnuplot
  compare   compare two runs: ratio plot and Google Benchmark's compare.py
  headline  print the headline ratios of a run
  run       sweep + plots + headline (what `make bench` does)
  smoke     quick end-to-end check for `make test` (TAP output)

A run folder holds one Google Benchmark JSON per job (with kprim's context:
placement, memory policy, topology, binding, build, git, and the cache-line
ping-pong probe before and after), the console log, a CSV per suite shaped
for gnuplot, the hwloc topology as XML and PNG, and manifest.json. Every
file is written to a temporary name and renamed, and the manifest records
each finished job, so an interrupted sweep re-run with the same --run picks
up at the first unfinished job.
"""

import argparse
import csv
import datetime
import io
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPARE_PY = "/usr/share/benchmark/compare.py"
SYSTEM_PYTHON = "/usr/bin/python3"   # compare.py needs Debian's scipy
RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CSV_FIELDS = ["suite", "op", "impl", "arg", "placement", "mem", "threads", "real_ns_median",
              "real_ns_stddev", "real_cv", "mops_median", "mops_stddev", "ns_per_item",
              "repetitions", "job", "counters"]
OPTIONAL_FIELDS = ("arg", "counters")   # may be empty; counters may be missing (older runs)
# Keys of a Google Benchmark result that are not user counters.
GB_KEYS = {"name", "family_index", "per_family_instance_index", "run_name", "run_type",
           "repetitions", "repetition_index", "threads", "iterations", "real_time", "cpu_time",
           "time_unit", "items_per_second", "bytes_per_second", "label", "error_occurred",
           "error_message", "aggregate_name", "aggregate_unit"}

# The default sweep: (job, binary, benchmark filter, placement).
JOBS = [
    ("shim", "bench_shim", "^shim/", "compact"),
    ("ref", "bench_ref", "^ref/", "compact"),
    ("ref_mt-compact", "bench_ref", "^ref_mt/", "compact"),
    ("ref_mt-scatter", "bench_ref", "^ref_mt/", "scatter"),
    ("alloc", "bench_alloc", "^alloc/", "compact"),
    ("alloc_mt-compact", "bench_alloc", "^alloc_mt/", "compact"),
    ("alloc_mt-scatter", "bench_alloc", "^alloc_mt/", "scatter"),
    ("locks", "bench_locks", "^locks/", "compact"),
    ("locks_mt-compact", "bench_locks", "^locks_mt/", "compact"),
    ("locks_mt-scatter", "bench_locks", "^locks_mt/", "scatter"),
    ("model", "bench_model", "^model/", "compact"),
    ("init", "bench_init", "^init/", "compact"),
]

# kprim's allocators and the four peers install-deps.sh provides.
ALLOC_IMPLS = ["kmalloc", "kvmalloc", "glibc", "jemalloc", "mimalloc", "tcmalloc"]
# kprim's locks, the floor and the pthread and Concurrency Kit peers.
LOCK_IMPLS = ["floor", "raw_spinlock", "spinlock", "mutex", "smutex", "nowait",
              "pthread_mutex", "pthread_adaptive", "pthread_spin", "ck_fas", "ck_ticket",
              "ck_mcs"]

# What each binary must offer (the smoke test checks every one ran).
EXPECTED = {
    "bench_shim": ["shim/empty/native", "shim/empty/batched", "shim/empty/plain",
                   "shim/atomic/native", "shim/atomic/batched", "shim/atomic/plain"],
    "bench_ref": ["ref/rmw/c11"] + [f"ref/{op}/{impl}" for op in
                                    ("pair", "inc_not_zero", "dec_and_test", "kref",
                                     "aref", "arc") for impl in ("kprim", "c11")]
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


class Error(Exception):
    """A user-facing failure: one line, non-zero exit."""


# ---- small helpers -----------------------------------------------------------

def atomic_write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(data)
    os.replace(tmp, path)


def load_json(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise Error(f"{what}: {path} does not exist")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise Error(f"{what}: {path} is not valid JSON ({e})")


def git_state():
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], check=True,
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain",
                                "--untracked-files=no"], check=True, capture_output=True,
                               text=True).stdout.strip() != ""
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False
    return commit, dirty


def check_run_name(name):
    if not RUN_NAME.match(name or ""):
        raise Error(f"bad run name '{name}': use letters, digits, '.', '_' and '-' "
                    "(no '/'), starting with a letter or digit")
    return name


def run_dir(results, name, must_exist=True):
    check_run_name(name)
    path = os.path.join(results, name)
    if must_exist and not os.path.isfile(os.path.join(path, "manifest.json")):
        have = list_runs(results)
        raise Error(f"no run '{name}' in {results}"
                    + (f" (have: {', '.join(have[-5:])})" if have else " (no runs yet)"))
    return path


def list_runs(results):
    runs = []
    if os.path.isdir(results):
        for name in os.listdir(results):
            manifest = os.path.join(results, name, "manifest.json")
            if os.path.isfile(manifest):
                runs.append((os.path.getmtime(manifest), name))
    return [name for _, name in sorted(runs)]


def latest_run(results):
    runs = list_runs(results)
    if not runs:
        raise Error(f"no runs in {results}: run `make bench` first")
    return runs[-1]


def default_run_name():
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"
    return datetime.datetime.now().strftime("%Y%m%d-%H%M%S-") + host


# ---- sweep ------------------------------------------------------------------------

class Sweep:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.name = check_run_name(args.run or default_run_name())
        self.dir = run_dir(args.results, self.name, must_exist=False)
        self.manifest_path = os.path.join(self.dir, "manifest.json")
        self.child = None
        self.m = None

    def manifest(self):
        if os.path.exists(self.manifest_path):
            m = load_json(self.manifest_path, "manifest")
            if not isinstance(m, dict) or "jobs" not in m:
                raise Error(f"{self.manifest_path} is not a kprim manifest")
            return m
        commit, dirty = git_state()
        return {"run": self.name, "created": datetime.datetime.now().isoformat(
            timespec="seconds"), "host": socket.gethostname(),
            "git": {"commit": commit, "dirty": dirty}, "jobs": {}, "files": []}

    def save(self, m):
        atomic_write(self.manifest_path, json.dumps(m, indent=2) + "\n")

    def kp_flags(self, placement):
        flags = [f"--kp_placement={placement}", f"--kp_mem={self.args.mem}"]
        if self.args.threads:
            flags.append(f"--kp_threads={self.args.threads}")
        return flags

    def binary(self, name):
        path = os.path.join(self.build, name)
        if not os.access(path, os.X_OK):
            raise Error(f"{path} is not built: run `make bench-build`")
        return path

    def list_tests(self, binary, filt, placement):
        out = subprocess.run([binary, "--benchmark_list_tests=true",
                              f"--benchmark_filter={filt}"] + self.kp_flags(placement),
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise Error(f"{os.path.basename(binary)}: {out.stderr.strip().splitlines()[-1:]}")
        return [line.strip() for line in out.stdout.splitlines() if line.strip()]

    def run_job(self, m, index, total, job, binary_name, filt, placement):
        binary = self.binary(binary_name)
        names = self.list_tests(binary, filt, placement)
        reps = self.args.repetitions
        planned = len(names) * reps
        final = os.path.join(self.dir, f"{job}.json")
        tmp_json = final + ".partial"
        probe = os.path.join(self.dir, f"{job}.probe.tmp")
        log_path = os.path.join(self.dir, f"{job}.log")
        commit, dirty = m["git"]["commit"], m["git"]["dirty"]
        cmd = [binary, f"--benchmark_filter={filt}", f"--benchmark_repetitions={reps}",
               f"--benchmark_min_time={self.args.min_time}",
               f"--benchmark_out={tmp_json}", "--benchmark_out_format=json",
               f"--benchmark_context=kp_run={self.name},kp_job={job},"
               f"kp_git_commit={commit},kp_git_dirty={'yes' if dirty else 'no'}",
               f"--kp_probe_out={probe}",
               f"--kp_topology_xml={os.path.join(self.dir, 'topology.xml')}",
               ] + self.kp_flags(placement)
        m["jobs"][job] = {"status": "running", "binary": binary_name, "filter": filt,
                          "placement": placement, "mem": self.args.mem,
                          "repetitions": reps, "min_time": self.args.min_time,
                          "command": " ".join(cmd)}
        self.save(m)
        print(f"[{index}/{total}] {job}: {len(names)} benchmarks x {reps} repetitions "
              f"({placement}, memory {self.args.mem})", flush=True)
        started = datetime.datetime.now()
        done = 0
        name_set = set(names)
        with open(log_path + ".tmp", "w") as log:
            self.child = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True)
            for line in self.child.stdout:
                log.write(line)
                first = line.split(" ", 1)[0]
                if first in name_set:
                    done += 1
                    if not self.args.quiet:
                        print(f"  [{job} {done}/{planned}] {line.rstrip()}", flush=True)
                elif line.startswith(("kp:", "error", "ERROR")) or "rror" in first:
                    print(f"  {line.rstrip()}", flush=True)
            rc = self.child.wait()
            self.child = None
        os.replace(log_path + ".tmp", log_path)
        if rc != 0:
            m["jobs"][job]["status"] = "failed"
            self.save(m)
            for path in (tmp_json, probe):
                if os.path.exists(path):
                    os.unlink(path)
            raise Error(f"{job}: {binary_name} exited with status {rc}; see {log_path}")
        data = load_json(tmp_json, job)
        probes = load_json(probe, f"{job} probe")
        data.setdefault("context", {})["kp_pingpong_after_ns"] = probes.get("after", "")
        errors = [b["name"] for b in data.get("benchmarks", []) if b.get("error_occurred")]
        atomic_write(final, json.dumps(data, indent=2) + "\n")
        os.unlink(tmp_json)
        os.unlink(probe)
        m["jobs"][job].update({
            "status": "complete" if not errors else "failed",
            "json": os.path.basename(final), "log": os.path.basename(log_path),
            "benchmarks": len(names), "errors": errors,
            "pingpong_ns": {"before": probes.get("before", ""), "after": probes.get("after", "")},
            "seconds": round((datetime.datetime.now() - started).total_seconds(), 1),
            "finished": datetime.datetime.now().isoformat(timespec="seconds"),
            "library_build_type": data.get("context", {}).get("library_build_type", "")})
        self.save(m)
        if errors:
            raise Error(f"{job}: benchmarks reported errors: {', '.join(errors[:3])}")
        print(f"  {job}: done in {m['jobs'][job]['seconds']}s; ping-pong ns before "
              f"[{probes.get('before')}] after [{probes.get('after')}]", flush=True)

    def interrupt(self, signum, frame):
        if self.child:
            self.child.send_signal(signal.SIGINT)
            self.child.wait()
        for name in os.listdir(self.dir):
            if name.endswith((".partial", ".tmp")):
                os.unlink(os.path.join(self.dir, name))
        if self.m:
            for state in self.m["jobs"].values():
                if state.get("status") == "running":
                    state["status"] = "interrupted"
            self.save(self.m)
        print(f"\ninterrupted: finished jobs are kept; `scripts/bench.py sweep --run "
              f"{self.name}` resumes", file=sys.stderr)
        sys.exit(130)

    def run(self):
        os.makedirs(self.dir, exist_ok=True)
        m = self.m = self.manifest()
        self.save(m)
        signal.signal(signal.SIGINT, self.interrupt)
        signal.signal(signal.SIGTERM, self.interrupt)
        jobs = [j for j in JOBS if not self.args.jobs or j[0] in self.args.jobs]
        print(f"sweep: run '{self.name}' -> {self.dir}")
        for i, (job, binary, filt, placement) in enumerate(jobs, 1):
            state = m["jobs"].get(job, {})
            if state.get("status") == "complete" and os.path.exists(
                    os.path.join(self.dir, state.get("json", ""))):
                print(f"[{i}/{len(jobs)}] {job}: complete already, skipping")
                continue
            self.run_job(m, i, len(jobs), job, binary, filt, placement)
        write_csvs(self.dir, m)
        render_topology(self.dir)
        m["files"] = sorted(f for f in os.listdir(self.dir) if not f.endswith(".tmp"))
        self.save(m)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        return self.name


def render_topology(d):
    xml = os.path.join(d, "topology.xml")
    png = os.path.join(d, "topology.png")
    if not os.path.exists(xml) or os.path.exists(png) or not shutil.which("lstopo"):
        return
    tmp = png + ".tmp"
    r = subprocess.run(["lstopo", "--input", xml, "--of", "png", "-f", tmp],
                       capture_output=True, text=True)
    if r.returncode == 0 and os.path.getsize(tmp) > 0:
        os.replace(tmp, png)
    elif os.path.exists(tmp):
        os.unlink(tmp)


# ---- results -> CSV ---------------------------------------------------------------

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def split_name(run_name):
    """suite/op/impl[/arg[/arg2..]][/threads:N][/real_time] -> (suite, op, impl, arg).

    Several numeric arguments come back joined by "-" ("50-200")."""
    parts = run_name.split("/")
    if len(parts) < 3:
        return None
    args = []
    for p in parts[3:]:
        if not p.isdigit():
            break
        args.append(p)
    return parts[0], parts[1], parts[2], "-".join(args)


def format_counters(counters):
    return ";".join(f"{k}={v:.6g}" for k, v in sorted(counters.items()))


def parse_counters(text):
    out = {}
    for item in (text or "").split(";"):
        if "=" in item:
            k, v = item.split("=", 1)
            out[k] = float(v)
    return out


def rows_from_json(data, job):
    """One CSV row per benchmark run_name: medians, stddevs and cv."""
    ctx = data.get("context", {})
    groups = {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        name = b.get("run_name", b.get("name", ""))
        parsed = split_name(name)
        if not parsed:
            continue
        g = groups.setdefault(name, {"parsed": parsed, "threads": b.get("threads", 1),
                                     "iterations": [], "agg": {}, "counters": {}})
        scale = UNIT_NS.get(b.get("time_unit", "ns"), 1.0)
        if b.get("run_type") == "aggregate":
            g["agg"][b.get("aggregate_name")] = b
        else:
            g["iterations"].append((b["real_time"] * scale, b.get("items_per_second", 0.0)))
            for k, v in b.items():
                if k not in GB_KEYS and isinstance(v, (int, float)):
                    g["counters"].setdefault(k, []).append(float(v))
    rows = []
    for name, g in groups.items():
        suite, op, impl, arg = g["parsed"]
        times = [t for t, _ in g["iterations"]]
        rates = [r / 1e6 for _, r in g["iterations"]]
        if not times:
            continue
        agg = g["agg"]

        def agg_time(kind):
            return agg[kind]["real_time"] * UNIT_NS.get(agg[kind].get("time_unit", "ns"), 1.0)

        # Google Benchmark's own aggregates where it wrote them (the cv one is
        # a plain ratio); computed from the repetitions otherwise.
        median = agg_time("median") if "median" in agg else statistics.median(times)
        stddev = agg_time("stddev") if "stddev" in agg else \
            (statistics.stdev(times) if len(times) > 1 else 0.0)
        if "cv" in agg:
            cv = agg["cv"]["real_time"]
        else:
            cv = stddev / statistics.mean(times) if statistics.mean(times) else 0.0
        mops = statistics.median(rates)
        rows.append({
            "suite": suite, "op": op, "impl": impl, "arg": arg,
            "placement": ctx.get("kp_placement", "?"), "mem": ctx.get("kp_mem", "?"),
            "threads": g["threads"], "real_ns_median": f"{median:.4g}",
            "real_ns_stddev": f"{stddev:.4g}", "real_cv": f"{cv:.4f}",
            "mops_median": f"{mops:.6g}",
            "mops_stddev": f"{statistics.stdev(rates) if len(rates) > 1 else 0.0:.4g}",
            # per item where the benchmark counts items (per push, per object), else per run
            "ns_per_item": f"{1e3 / mops if mops > 0 and g['threads'] == 1 else median:.4g}",
            "repetitions": len(times), "job": job,
            # user counters (fairness, latency percentiles), medians over the repetitions
            "counters": format_counters({k: statistics.median(v)
                                         for k, v in g["counters"].items()})})
    return rows


def write_csvs(d, m):
    by_suite = {}
    for job, state in m["jobs"].items():
        if state.get("status") != "complete":
            continue
        data = load_json(os.path.join(d, state["json"]), job)
        for row in rows_from_json(data, job):
            by_suite.setdefault(row["suite"], []).append(row)
    for suite, rows in by_suite.items():
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        atomic_write(os.path.join(d, f"{suite}.csv"), out.getvalue())


def read_csvs(d):
    suites = {}
    for name in sorted(os.listdir(d)):
        if not name.endswith(".csv"):
            continue
        path = os.path.join(d, name)
        try:
            with open(path, newline="") as f:
                rows = list(csv.DictReader(f))
            for r in rows:
                if any((k not in r and k != "counters") or
                       (r.get(k) in (None, "") and k not in OPTIONAL_FIELDS) for k in CSV_FIELDS):
                    raise ValueError("missing fields")
                r["counters"] = parse_counters(r.get("counters"))
                for k in ("real_ns_median", "real_ns_stddev", "real_cv", "mops_median",
                          "mops_stddev", "ns_per_item"):
                    r[k] = float(r[k])
                r["threads"] = int(r["threads"])
                r["repetitions"] = int(r["repetitions"])
        except (OSError, ValueError, csv.Error) as e:
            raise Error(f"{path} is corrupt ({e}): re-run the sweep for this run")
        if not rows:
            raise Error(f"{path} has no rows")
        suites[name[:-4]] = rows
    if not suites:
        raise Error(f"{d} has no results (*.csv): the sweep did not finish; re-run it")
    return suites


# ---- plots --------------------------------------------------------------------------

def gnuplot(script, out_base, variables, fmts=("png", "svg")):
    made = []
    for fmt in fmts:
        out = f"{out_base}.{fmt}"
        tmp = f"{out_base}.tmp.{fmt}"
        assigns = "; ".join(f"{k}={v}" if isinstance(v, (int, float)) else
                            f"{k}='{v}'" for k, v in
                            dict(variables, outfile=tmp, fmt=fmt).items())
        r = subprocess.run(["gnuplot", "-e", assigns, os.path.join("plots", script)],
                           cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0 or not os.path.exists(tmp) or os.path.getsize(tmp) == 0:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise Error(f"gnuplot {script} failed for {out}: {r.stderr.strip()[-300:]}")
        os.replace(tmp, out)
        made.append(out)
    return made


def ordered(values):
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def sized_ops(rows):
    """Operations measured at two or more sizes: they get a size plot."""
    args = {}
    for r in rows:
        if r["arg"]:
            args.setdefault(r["op"], set()).add(r["arg"])
    return {op for op, a in args.items() if len(a) > 1}


def plot_ops(suite, rows, outdir):
    sized = sized_ops(rows)
    rows = [r for r in rows if r["threads"] == 1 and r["op"] not in sized]

    def label(r):
        return r["op"] + (f"/{r['arg']}" if r["arg"] else "")

    ops, impls = ordered(label(r) for r in rows), ordered(r["impl"] for r in rows)
    if not ops:
        return []
    cell = {(label(r), r["impl"]): r for r in rows}
    lines = ["op " + " ".join(f"{i} {i}_sd" for i in impls)]
    for op in ops:
        vals = []
        for i in impls:
            r = cell.get((op, i))
            if r:
                scale = r["ns_per_item"] / r["real_ns_median"] if r["real_ns_median"] else 1
                vals += [f"{r['ns_per_item']}", f"{r['real_ns_stddev'] * scale:.4g}"]
            else:
                vals += ["NaN", "NaN"]
        lines.append(op + " " + " ".join(vals))
    dat = os.path.join(outdir, f"{suite}_ops.dat")
    atomic_write(dat, "\n".join(lines) + "\n")
    return gnuplot("ops.gp", os.path.join(outdir, f"{suite}_ops"),
                   {"datafile": dat, "nseries": len(impls),
                    "width": max(900, 60 * len(ops) * max(1, len(impls)) // 2),
                    "plottitle": f"{suite}: ns per operation, 1 thread"})


def plot_sizes(suite, rows, outdir):
    made = []
    for op in sorted(sized_ops(rows)):
        series = {}
        for r in rows:
            if r["op"] == op and r["arg"] and r["threads"] == 1:
                series.setdefault(r["impl"], []).append(r)
        blocks = []
        for rs in series.values():
            rs.sort(key=lambda r: int(r["arg"]))
            blocks.append("\n".join(f"{r['arg']} {r['real_ns_median']} {r['real_ns_stddev']}"
                                    for r in rs))
        dat = os.path.join(outdir, f"{suite}_{op}_sizes.dat")
        atomic_write(dat, "\n\n\n".join(blocks) + "\n")
        made += gnuplot("sizes.gp", os.path.join(outdir, f"{suite}_{op}_sizes"),
                        {"datafile": dat, "titles": " ".join(series),
                         "plottitle": f"{suite} {op}: ns per operation by size, 1 thread"})
    return made


def scaling_groups(rows):
    """(op, arg) -> {impl-placement: rows sorted by threads}."""
    groups = {}
    for r in rows:
        key = (r["op"], r["arg"])
        groups.setdefault(key, {}).setdefault(f"{r['impl']}-{r['placement']}", []).append(r)
    for series in groups.values():
        for rs in series.values():
            rs.sort(key=lambda r: r["threads"])
    return {k: groups[k] for k in sorted(groups)}


def plot_scaling(suite, rows, outdir):
    """Throughput against threads; where the runs count fairness, Jain's index too."""
    made = []
    for (op, arg), series in scaling_groups(rows).items():
        if max(len(v) for v in series.values()) < 2 and len(series) < 2:
            continue
        tag = f"{suite}_{op}" + (f"_{arg}" if arg else "")
        what = f"{suite} {op}" + (f" ({arg})" if arg else "")
        plots = [("scaling", "Mops/s, all threads (median; bar: stddev)",
                  lambda r: f"{r['mops_median']} {r['mops_stddev']}", "throughput vs threads")]
        if all("jain" in r["counters"] for rs in series.values() for r in rs):
            plots.append(("fairness", "Jain fairness index (1 = equal shares)",
                          lambda r: f"{r['counters']['jain']} 0", "fairness vs threads"))
        for kind, ylabel, value, title in plots:
            blocks = ["\n".join(f"{r['threads']} {value(r)}" for r in rs)
                      for rs in series.values()]
            dat = os.path.join(outdir, f"{tag}_{kind}.dat")
            atomic_write(dat, "\n\n\n".join(blocks) + "\n")
            made += gnuplot("scaling.gp", os.path.join(outdir, f"{tag}_{kind}"),
                            {"datafile": dat, "titles": " ".join(series), "ylab": ylabel,
                             "plottitle": f"{what}: {title}"})
    return made


def plot_latency(suite, rows, outdir):
    """Wait and hand-off percentiles per lock, at the most threads short of oversubscribed."""
    made = []
    for (op, arg), series in scaling_groups(rows).items():
        picked = []
        for key, rs in series.items():
            have = [r for r in rs if "wait_p50_ns" in r["counters"]]
            if have:
                top = max(r["threads"] for r in have)
                fit = [r for r in have if r["threads"] <= max(1, top // 2)] or have
                picked.append((key, max(fit, key=lambda r: r["threads"])))
        if not picked:
            continue
        cols = ["wait_p50_ns", "wait_p99_ns", "wait_max_ns", "handoff_p50_ns",
                "handoff_p99_ns", "handoff_max_ns"]
        lines = ["lock " + " ".join(cols)]
        for key, r in picked:
            lines.append(f"{key}@{r['threads']} " +
                         " ".join(f"{max(r['counters'].get(c, float('nan')), 1):.6g}"
                                  for c in cols))
        tag = f"{suite}_{op}" + (f"_{arg}" if arg else "")
        dat = os.path.join(outdir, f"{tag}_latency.dat")
        atomic_write(dat, "\n".join(lines) + "\n")
        made += gnuplot("bars.gp", os.path.join(outdir, f"{tag}_latency"),
                        {"datafile": dat, "ncols": len(cols), "ylab": "ns (log)",
                         "width": max(900, 90 * len(picked)),
                         "plottitle": f"{suite} {op}" + (f" ({arg})" if arg else "") +
                         ": wait and hand-off latency percentiles"})
    return made


def cmd_plots(args):
    name = args.run or latest_run(args.results)
    d = run_dir(args.results, name)
    suites = read_csvs(d)
    outdir = os.path.join(args.plots, name)
    os.makedirs(outdir, exist_ok=True)
    made = []
    for suite, rows in suites.items():
        if any(r["threads"] > 1 for r in rows) or suite.endswith("_mt"):
            made += plot_scaling(suite, rows, outdir)
            made += plot_latency(suite, rows, outdir)
        else:
            made += plot_ops(suite, rows, outdir)
            made += plot_sizes(suite, rows, outdir)
    print(f"plots: {len(made)} files in {outdir}")
    return made


# ---- compare --------------------------------------------------------------------------

def cmd_compare(args):
    a_dir, b_dir = run_dir(args.results, args.a), run_dir(args.results, args.b)
    a_m, b_m = load_json(os.path.join(a_dir, "manifest.json"), args.a), \
        load_json(os.path.join(b_dir, "manifest.json"), args.b)
    jobs = [j for j in a_m["jobs"] if a_m["jobs"][j].get("status") == "complete"
            and b_m["jobs"].get(j, {}).get("status") == "complete"]
    if not jobs:
        raise Error(f"runs '{args.a}' and '{args.b}' have no finished job in common")
    ratios = []
    for job in jobs:
        a_rows = {(r["suite"], r["op"], r["impl"], r["arg"], r["threads"]): r for r in rows_from_json(
            load_json(os.path.join(a_dir, a_m["jobs"][job]["json"]), args.a), job)}
        for r in rows_from_json(load_json(os.path.join(b_dir, b_m["jobs"][job]["json"]),
                                          args.b), job):
            key = (r["suite"], r["op"], r["impl"], r["arg"], r["threads"])
            if key in a_rows and float(a_rows[key]["real_ns_median"]) > 0:
                label = f"{key[0]}/{key[1]}/{key[2]}" + (f"/{key[3]}" if key[3] else "") + \
                    (f"/t{key[4]}" if key[4] > 1 else "")
                if job.endswith(("-compact", "-scatter")):
                    label += "/" + job.rsplit("-", 1)[1]
                ratios.append((label, float(r["real_ns_median"]) /
                               float(a_rows[key]["real_ns_median"])))
    outdir = os.path.join(args.plots, f"compare-{args.a}-vs-{args.b}")
    os.makedirs(outdir, exist_ok=True)
    dat = os.path.join(outdir, "ratios.dat")
    atomic_write(dat, "".join(f"{n} {v:.4f}\n" for n, v in ratios))
    made = gnuplot("compare.gp", os.path.join(outdir, "ratios"),
                   {"datafile": dat, "aname": args.a, "bname": args.b,
                    "width": max(900, 22 * len(ratios))})
    print(f"{'benchmark':44} {args.b} / {args.a}")
    for n, v in ratios:
        print(f"{n:44} {v:6.3f}")
    for job in jobs:
        print(f"\ncompare.py benchmarks ({job}):", flush=True)
        color = [] if sys.stdout.isatty() else ["--no-color"]
        r = subprocess.run([SYSTEM_PYTHON, COMPARE_PY, "-a"] + color + ["benchmarks",
                            os.path.join(a_dir, a_m["jobs"][job]["json"]),
                            os.path.join(b_dir, b_m["jobs"][job]["json"])],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise Error(f"compare.py failed on {job}: {r.stderr.strip()[-300:]}")
        print(r.stdout.rstrip())
    print(f"\ncompare: {', '.join(made)}")
    return made


# ---- headline ------------------------------------------------------------------------

def cmd_headline(args):
    name = args.run or latest_run(args.results)
    suites = read_csvs(run_dir(args.results, name))

    def row(suite, op, impl, arg=""):
        for r in suites.get(suite, []):
            if r["op"] == op and r["impl"] == impl and r["threads"] == 1 and r["arg"] == arg:
                return r
        return None

    def med(suite, op, impl, arg=""):
        r = row(suite, op, impl, arg)
        return r["real_ns_median"] if r else None

    def ratio_line(what, k, p, peer, target=""):
        if k and p:
            print(f"  {what:46} {f'{k:.2f} / {p:.2f} ns = {k / p:.2f}x':>22}  {target}"
                  f"{'' if not target else ' (vs ' + peer + ')'}")

    print(f"headline: run {name} (medians; ratios within this run)")
    print(f"  {'measure':46} {'value':>22}  target")
    for op, what in (("pair", "refcount inc + dec_and_test"),
                     ("inc_not_zero", "refcount inc_not_zero + dec_and_test"),
                     ("dec_and_test", "refcount dec_and_test"), ("kref", "kref get + put"),
                     ("aref", "ARef clone + drop"), ("arc", "Arc clone + put")):
        k, c = med("ref", op, "kprim"), med("ref", op, "c11")
        if k and c:
            target = "<= 1.2x" if op == "pair" else ""
            print(f"  {what + ' / C11':46} {f'{k:.2f} / {c:.2f} ns = {k / c:.2f}x':>22}  "
                  f"{target}")
    floor = med("ref", "rmw", "c11")
    if floor:
        print(f"  {'one relaxed atomic RMW (the floor)':46} {f'{floor:.2f} ns':>22}")
    for op in ("empty", "atomic"):
        b, n = med("shim", op, "batched"), med("shim", op, "native")
        p = med("shim", op, "plain")
        if b is not None and n is not None:
            print(f"  {'shim overhead, ' + op + ', batched - native':46} "
                  f"{f'{b - n:+.3f} ns/iter':>22}  <= 0.5 ns")
        if p is not None and n is not None:
            print(f"  {'shim overhead, ' + op + ', plain - native':46} "
                  f"{f'{p - n:+.3f} ns/iter':>22}")
    k, u = med("model", "switch", "kprim"), med("model", "switch", "swapcontext")
    if k and u:
        print(f"  {'model task switch / glibc swapcontext':46} "
              f"{f'{k:.2f} / {u:.2f} ns = {k / u:.3f}x':>22}  <= 10 ns")
    ratio_line("kbox_pin_init composite / the same by hand", med("init", "box", "pin_init"),
               med("init", "box", "by_hand"), "by hand", "<= 1.05x")
    m = med("init", "module", "load_unload")
    if m:
        print(f"  {'in-place module load + unload':46} {f'{m:.2f} ns':>22}")
    cvs = [r["real_cv"] for s in ("ref", "shim") for r in suites.get(s, [])
           if r["threads"] == 1 and r["repetitions"] > 1]
    if cvs:
        print(f"  {'cv across repetitions, median (max)':46} "
              f"{f'{100 * statistics.median(cvs):.2f}% ({100 * max(cvs):.2f}%)':>22}  <= 3%")
    if "alloc" in suites:
        fastest = min(((med("alloc", "pair", i, "64") or 1e9), i) for i in ("mimalloc", "tcmalloc"))
        ratio_line("kmalloc+kfree 64 B / faster of mimalloc, tcmalloc",
                   med("alloc", "pair", "kmalloc", "64"), fastest[0], fastest[1], "<= 1.0x")
        ratio_line("kmem_cache alloc+free 64 B / same", med("alloc", "pair", "cache", "64"),
                   fastest[0], fastest[1])
        ratio_line("batch 1000 x 64 B (LIFO), per object / mimalloc",
                   med("alloc", "batch_lifo", "kmalloc"), med("alloc", "batch_lifo", "mimalloc"),
                   "mimalloc", "<= 1.0x")
        ratio_line("batch 1000 x 64 B (FIFO), per object / mimalloc",
                   med("alloc", "batch_fifo", "kmalloc"), med("alloc", "batch_fifo", "mimalloc"),
                   "mimalloc")
        ratio_line("kvmalloc+kvfree 1 MiB / glibc malloc+free",
                   med("alloc", "pair", "kvmalloc", str(1 << 20)),
                   med("alloc", "pair", "glibc", str(1 << 20)), "glibc", "<= 1.0x")
        ratio_line("kzalloc 1 MiB, one byte written / glibc calloc",
                   med("alloc", "zalloc", "kmalloc", str(1 << 20)),
                   med("alloc", "zalloc", "glibc", str(1 << 20)), "glibc")
        kv, gl = row("alloc", "kvec_push", "kvmalloc", str(1 << 20)), \
            row("alloc", "kvec_push", "glibc", str(1 << 20))
        if kv and gl:
            ratio_line("KVVec push (1M), per push / glibc realloc array",
                       kv["ns_per_item"], gl["ns_per_item"], "glibc")
    for r_k in (r for r in suites.get("alloc_mt", []) if r["op"] == "remote"
                and r["impl"] == "kmalloc"):
        r_m = next((r for r in suites["alloc_mt"] if r["op"] == "remote" and
                    r["impl"] == "mimalloc" and r["threads"] == r_k["threads"] and
                    r["placement"] == r_k["placement"]), None)
        if r_m and r_m["mops_median"]:
            k, m = r_k["mops_median"], r_m["mops_median"]
            what = f"remote free, {r_k['threads']} threads {r_k['placement']}: kmalloc / mimalloc"
            value = f"{k:.1f} / {m:.1f} Mops/s"
            print(f"  {what:46} {value:>22}  >= 1.0x ({k / m:.2f}x)")
    if "locks" in suites:
        pm = med("locks", "uncontended", "pthread_mutex")
        ratio_line("raw_spin_lock+unlock / floor (xchg + store)",
                   med("locks", "uncontended", "raw_spinlock"), med("locks", "uncontended", "floor"),
                   "floor", "<= 1.1x")
        ratio_line("mutex lock+unlock / pthread_mutex", med("locks", "uncontended", "mutex"),
                   pm, "pthread_mutex", "<= 0.75x")
        ratio_line("smutex lock+unlock / pthread_mutex", med("locks", "uncontended", "smutex"),
                   pm, "pthread_mutex", "<= 0.75x")
    for r_k in (r for r in suites.get("locks_mt", []) if r["op"] == "contended"
                and r["arg"] == "0-0" and r["impl"] in ("raw_spinlock", "mutex")):
        peer = "pthread_spin" if r_k["impl"] == "raw_spinlock" else "pthread_adaptive"
        r_p = next((r for r in suites["locks_mt"] if r["op"] == "contended" and
                    r["arg"] == "0-0" and r["impl"] == peer and r["threads"] == r_k["threads"]
                    and r["placement"] == r_k["placement"]), None)
        if r_p and r_p["mops_median"] and r_k["threads"] > 1:
            k, p = r_k["mops_median"], r_p["mops_median"]
            jain = r_k["counters"].get("jain")
            what = f"{r_k['impl']} contended, {r_k['threads']} thr {r_k['placement']} / {peer}"
            value = f"{k:.1f} / {p:.1f} Mops/s"
            target = ">= 1.0x" + (", Jain >= 0.95" if peer == "pthread_spin" else "")
            print(f"  {what:46} {value:>22}  {target} ({k / p:.2f}x"
                  + (f", Jain {jain:.3f})" if jain is not None else ")"))
    for suite in sorted(suites):
        if suite.endswith("_mt") and suite not in ("alloc_mt", "locks_mt"):
            for impl in ("kprim", "c11"):
                top = max((r for r in suites[suite] if r["op"] == "pair" and r["impl"] == impl),
                          key=lambda r: r["threads"], default=None)
                if top:
                    what = f"{suite} pair {impl}, {top['threads']} threads, {top['placement']}"
                    print(f"  {what:46} {top['mops_median']:>15.2f} Mops/s")
    return 0


# ---- smoke (make test) --------------------------------------------------------------

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
    results, plots = os.path.join(tmp, "results"), os.path.join(tmp, "plots")
    me = [sys.executable, os.path.abspath(__file__)]
    common = ["--results", results, "--plots", plots]
    sweep = me + common + ["sweep", "--build", build, "--run", "smoke", "--quick", "--quiet"]
    r = subprocess.run(sweep, capture_output=True, text=True)
    if not tap.check(r.returncode == 0, "a quick sweep completes", r.stdout + r.stderr):
        return
    d = os.path.join(results, "smoke")
    files = os.listdir(d)
    need = ["manifest.json", "topology.xml", "shim.csv", "ref.csv", "ref_mt.csv"] + \
        [f"{j[0]}.json" for j in JOBS]
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
    tap.check(r.returncode == 0 and r.stdout.count("complete already, skipping") == len(JOBS),
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
    r = subprocess.run(me + common + ["compare", "smoke", "smoke"], capture_output=True,
                       text=True)
    tap.check(r.returncode == 0 and "compare.py benchmarks" in r.stdout
              and os.path.exists(os.path.join(plots, "compare-smoke-vs-smoke", "ratios.png")),
              "compare renders a ratio plot and prints compare.py's table", r.stderr)
    r = subprocess.run(me + common + ["headline", "--run", "smoke"], capture_output=True,
                       text=True)
    tap.check(r.returncode == 0 and "refcount inc + dec_and_test / C11" in r.stdout,
              "the headline table prints", r.stdout + r.stderr)

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


# ---- command line ------------------------------------------------------------------

def positive_int(s):
    try:
        v = int(s)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"wants a positive integer, got '{s}'")
    return v


def positive_float(s):
    try:
        v = float(s)
    except ValueError:
        v = 0.0
    if not v > 0:
        raise argparse.ArgumentTypeError(f"wants a positive number of seconds, got '{s}'")
    return v


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: {message}\n")


def main(argv):
    p = Parser(prog="bench.py", description=__doc__.split("\n\n")[0],
               formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", default=os.path.join(ROOT, "results"),
                   help="results folder (default: results/)")
    p.add_argument("--plots", default=os.path.join(ROOT, "plots"),
                   help="plots folder (default: plots/)")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=Parser)

    def sweep_args(sp):
        sp.add_argument("--run", help="run name (default: date-time-host; same name resumes)")
        sp.add_argument("--build", default=os.path.join(ROOT, "build", "release", "bench"),
                        help="where the benchmark binaries are")
        sp.add_argument("--repetitions", type=positive_int, default=5,
                        help="repetitions per benchmark (default 5)")
        sp.add_argument("--min-time", type=positive_float, default=0.1,
                        help="seconds per repetition (default 0.1)")
        sp.add_argument("--mem", choices=["local", "remote", "interleave"], default="local",
                        help="memory policy for shared objects (default local)")
        sp.add_argument("--threads", type=positive_int,
                        help="contended benchmarks run 1..N threads (default: all PUs)")
        sp.add_argument("--jobs", nargs="+", choices=[j[0] for j in JOBS],
                        help="only these jobs")
        sp.add_argument("--quick", action="store_true",
                        help="minimal time: 2 repetitions of 1 ms (smoke runs)")
        sp.add_argument("--quiet", action="store_true", help="no per-benchmark lines")

    sweep_args(sub.add_parser("sweep", help="run the benchmark suites"))
    sweep_args(sub.add_parser("run", help="sweep, then plots and headline (make bench)"))
    sp = sub.add_parser("plots", help="render a run's plots")
    sp.add_argument("--run", help="run name (default: the latest)")
    sp = sub.add_parser("headline", help="print a run's headline ratios")
    sp.add_argument("--run", help="run name (default: the latest)")
    sp = sub.add_parser("compare", help="compare run B against run A")
    sp.add_argument("a")
    sp.add_argument("b")
    sp = sub.add_parser("smoke", help="quick end-to-end check, TAP output (make test)")
    sp.add_argument("--build", default=os.path.join(ROOT, "build", "release", "bench"))
    args = p.parse_args(argv)

    try:
        if args.cmd in ("sweep", "run"):
            if args.quick:
                args.repetitions, args.min_time = 2, 0.001
            name = Sweep(args).run()
            if args.cmd == "run":
                args.run = name
                cmd_plots(args)
                cmd_headline(args)
                print(f"\nresults: {os.path.join(args.results, name)}\n"
                      f"plots:   {os.path.join(args.plots, name)}")
            return 0
        return {"plots": lambda: cmd_plots(args) and 0, "compare": lambda: cmd_compare(args)
                and 0, "headline": lambda: cmd_headline(args),
                "smoke": lambda: cmd_smoke(args)}[args.cmd]()
    except Error as e:
        print(f"bench.py: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
