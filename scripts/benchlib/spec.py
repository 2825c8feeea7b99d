# SPDX-License-Identifier: MIT
"""spec.py - sweep specs: what a sweep runs, in a small TOML file.

A spec names jobs; each job is one suite of one benchmark binary, run once
per placement and memory policy it lists. Top-level keys are defaults for
every job; a job's own keys override them:

    repetitions = 5          # per benchmark
    min_time = 0.1           # seconds per repetition
    mem = "local"            # or a list: local, remote, interleave
    placements = "compact"   # or a list: compact, scatter, cpus:LIST
    threads = "all"          # contended benchmarks: 1, 2, 4 .. every PU, or a list
    interleave = true        # repetitions in random order across the job's benchmarks

    [[job]]
    suite = "locks_mt"             # required
    placements = ["compact", "scatter"]
    benchmarks = ["contended"]     # the suite's operations (default: all)
    impls = ["mutex", "pthread_adaptive"]   # kprim's and the peers' (default: all)
    sizes = [64, 4096]             # argument values, for the suites that take sizes
    threads = [1, 2, 4, 8]

Everything is checked before anything runs, and every problem is reported
on a line of its own: unknown keys, suites, benchmarks and implementations,
values of the wrong type, placements this machine cannot make. Sizes and
thread counts are checked against what the binaries register, once they
are listed (Sweep.plan). A job runs as "<name>[-<placement>][-<mem>]", the
suffixes added where the job lists more than one.
"""

import os
import re
import tomllib

from .catalog import SUITES
from .common import Error

DEFAULTS = {"repetitions": 5, "min_time": 0.1, "mem": "local", "placements": "compact",
            "threads": "all", "interleave": True}
SHARED_KEYS = set(DEFAULTS)
JOB_KEYS = SHARED_KEYS | {"suite", "name", "benchmarks", "impls", "sizes"}
TOP_KEYS = SHARED_KEYS | {"description", "job"}
MEM_POLICIES = ("local", "remote", "interleave")
MAX_THREADS = 1024      # bench/topo.h KP_TOPO_MAX_THREADS: the harness's limit
JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _cpu_list(text):
    """'0,2-3' -> [0, 2, 3]; ValueError when malformed."""
    cpus = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        lo, hi = int(lo), int(hi or lo)
        if lo < 0 or hi < lo:
            raise ValueError(part)
        cpus += range(lo, hi + 1)
    return cpus


def _numa_nodes():
    try:
        return max(1, sum(1 for n in os.listdir("/sys/devices/system/node")
                          if re.match(r"^node\d+$", n)))
    except OSError:
        return 1


class _Checker:
    """Collects every problem of a spec, each as one line."""

    def __init__(self, path):
        self.path = path
        self.problems = []

    def problem(self, where, text):
        self.problems.append(f"{self.path}: {where}: {text}")

    def names(self, where, key, value, allowed):
        """A string or a list of strings from allowed; returns the list (or None)."""
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values or \
                not all(isinstance(v, str) for v in values):
            self.problem(where, f"'{key}' wants a name or a list of names, got {value!r}")
            return None
        unknown = [v for v in values if allowed is not None and v not in allowed]
        if unknown:
            self.problem(where, f"unknown {key} {', '.join(map(repr, unknown))} "
                                f"(have: {', '.join(allowed)})")
            return None
        return values

    def counts(self, where, key, value):
        if not isinstance(value, list) or not value or \
                not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
            self.problem(where, f"'{key}' wants a list of positive integers, got {value!r}")
            return None
        return sorted(set(value))

    def placement(self, where, p, cpus):
        if p in ("compact", "scatter"):
            return True
        if not p.startswith("cpus:"):
            self.problem(where, f"unknown placement '{p}' (compact, scatter or cpus:LIST)")
            return False
        try:
            wanted = _cpu_list(p[5:])
        except ValueError:
            self.problem(where, f"placement '{p}': a CPU list is like cpus:0,2-3")
            return False
        missing = sorted(set(wanted) - cpus)
        if missing:
            self.problem(where, f"placement '{p}' names CPU(s) {', '.join(map(str, missing))}, "
                                f"which this machine does not have "
                                f"(it has {', '.join(map(str, sorted(cpus)))})")
            return False
        return True


def load(path, cpus=None, numa_nodes=None, placements=None):
    """The spec at path, checked and expanded: {"description", "jobs": [job, ...]}.

    placements, if given, replaces every threaded job's placements (bench.py
    --placements), checked like the spec's own."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise Error(f"cannot read the spec {path}: {e.strerror}")
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise Error(f"{path}: not valid TOML ({e})")
    cpus = set(cpus if cpus is not None else os.sched_getaffinity(0))
    numa_nodes = numa_nodes if numa_nodes is not None else _numa_nodes()
    c = _Checker(path)
    for key in sorted(set(doc) - TOP_KEYS):
        c.problem("top level", f"unknown key '{key}' (known: {', '.join(sorted(TOP_KEYS))})")
    defaults = dict(DEFAULTS)
    defaults.update({k: v for k, v in doc.items() if k in SHARED_KEYS})
    jobs_in = doc.get("job", [])
    if not isinstance(jobs_in, list) or not jobs_in:
        c.problem("top level", "no [[job]]: a spec runs at least one job")
        jobs_in = []
    jobs = []
    for i, job in enumerate(jobs_in, 1):
        where = f"job {i}" + (f" ({job.get('suite')})" if isinstance(job, dict)
                              and isinstance(job.get("suite"), str) else "")
        if not isinstance(job, dict):
            c.problem(where, "a job is a table ([[job]])")
            continue
        if placements and isinstance(job.get("suite"), str) and \
                SUITES.get(job["suite"], {}).get("threaded"):
            job = dict(job, placements=placements)
        jobs += _expand(c, where, job, defaults, cpus, numa_nodes)
    seen = {}
    for j in jobs:
        if j["name"] in seen:
            c.problem(seen[j["name"]], f"two jobs run as '{j['name']}': give one a name")
        seen.setdefault(j["name"], j["where"])
    if c.problems:
        raise Error("\n".join(c.problems))
    for j in jobs:
        del j["where"]
    return {"description": doc.get("description", ""), "jobs": jobs}


def _expand(c, where, job, defaults, cpus, numa_nodes):
    for key in sorted(set(job) - JOB_KEYS):
        c.problem(where, f"unknown key '{key}' (known: {', '.join(sorted(JOB_KEYS))})")
    suite = job.get("suite")
    if not isinstance(suite, str):
        c.problem(where, "'suite' is required (have: " + ", ".join(SUITES) + ")")
        return []
    if suite not in SUITES:
        c.problem(where, f"unknown suite '{suite}' (have: {', '.join(SUITES)})")
        return []
    info = SUITES[suite]
    v = dict(defaults)
    v.update({k: job[k] for k in SHARED_KEYS if k in job})
    ok = True
    reps, min_time = v["repetitions"], v["min_time"]
    if not isinstance(reps, int) or isinstance(reps, bool) or reps < 1:
        c.problem(where, f"'repetitions' wants a positive integer, got {reps!r}")
        ok = False
    if not isinstance(min_time, (int, float)) or isinstance(min_time, bool) or min_time <= 0:
        c.problem(where, f"'min_time' wants a positive number of seconds, got {min_time!r}")
        ok = False
    if not isinstance(v["interleave"], bool):
        c.problem(where, f"'interleave' wants true or false, got {v['interleave']!r}")
        ok = False
    mems = c.names(where, "mem", v["mem"], MEM_POLICIES)
    placements = c.names(where, "placements", v["placements"], None)
    ok = ok and mems is not None and placements is not None
    if placements and not all([c.placement(where, p, cpus) for p in placements]):
        ok = False
    for m in mems or []:
        if m != "local" and numa_nodes < 2:
            c.problem(where, f"mem '{m}' needs two NUMA nodes; this machine has {numa_nodes}")
            ok = False
    threads = v["threads"]
    if "threads" in job and not info["threaded"]:
        c.problem(where, f"'threads' does not apply to {suite}: its benchmarks run one thread")
        ok = False
    elif threads != "all":
        threads = c.counts(where, "threads", threads)
        ok = ok and threads is not None
        if threads and max(threads) > MAX_THREADS:
            c.problem(where, f"'threads' goes up to {MAX_THREADS} (the harness's limit), "
                      f"got {max(threads)}")
            ok = False
    select = {}
    for key, allowed in (("benchmarks", info["ops"]), ("impls", info["impls"])):
        if key in job:
            got = c.names(where, key, job[key], allowed)
            ok = ok and got is not None
            select[key] = got
    if "sizes" in job:
        if not info["sized"]:
            c.problem(where, f"'sizes' does not apply to {suite}: its benchmarks take no size")
            ok = False
        else:
            select["sizes"] = c.counts(where, "sizes", job["sizes"])
            ok = ok and select["sizes"] is not None
    name = job.get("name", suite)
    if not isinstance(name, str) or not JOB_NAME.match(name):
        c.problem(where, f"'name' wants letters, digits, '.', '_' and '-', got {name!r}")
        ok = False
    if not ok:
        return []
    out = []
    for p in placements:
        for m in mems:
            suffix = (f"-{re.sub(r'[^A-Za-z0-9]+', '_', p)}" if len(placements) > 1 else "") + \
                (f"-{m}" if len(mems) > 1 else "")
            out.append({"name": name + suffix, "suite": suite, "binary": info["binary"],
                        "placement": p, "mem": m, "repetitions": reps,
                        "min_time": float(min_time), "threads": threads,
                        "interleave": v["interleave"],
                        "select": select, "where": where})
    return out
