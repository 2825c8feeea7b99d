# SPDX-License-Identifier: MIT
"""sweep.py - run a sweep spec's jobs into results/<run>/, resumable.

Before anything runs, the spec is checked (spec.py) and every job's
benchmarks are listed from its binary and narrowed to what the job asks
for (operations, implementations, sizes, thread counts), so that a size
or a thread count no benchmark offers is refused with the rest. The run
folder keeps the spec it ran (spec.toml) and the manifest its digest: a
resumed run refuses a changed spec unless --allow-spec-change, and then
re-runs exactly the jobs whose definition changed. Every file is written
to a temporary name and renamed, and the manifest records each finished
job, so an interrupted sweep re-run with the same --run picks up at the
first unfinished job."""

import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys

from . import spec as specs
from .common import ROOT, Error, atomic_write, check_run_name, default_run_name, git_state, \
    load_json, run_dir
from .results import split_name, write_csvs

DEFAULT_SPEC = os.path.join(ROOT, "sweeps", "default.toml")
THREADS = re.compile(r"^threads:(\d+)$")
REGEX_META = re.compile(r"([.\[\]{}()\\*+?^$|])")


def cpu_model():
    """The CPU's model name as /proc/cpuinfo gives it (the host changes between machines)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def benchmark_parts(name):
    """suite/op/impl[/arg..][/iterations:N][/real_time][/threads:N] -> op, impl, args, threads."""
    _, op, impl, arg = split_name(name)
    threads = next((int(m.group(1)) for m in map(THREADS.match, name.split("/")) if m), None)
    return {"op": op, "impl": impl, "args": [int(a) for a in arg.split("-") if a],
            "threads": threads}


def harness_counts(n):
    """The thread counts the harness runs for --kp_threads=n: 1, 2, 4 .. n; a list as it is."""
    if isinstance(n, list):
        return n
    counts, c = [], 1
    while c < n:
        counts.append(c)
        c *= 2
    return counts + [n]


def oversubscribed(counts):
    """The counts the harness adds past the largest: twice and four times it."""
    return {2 * max(counts), 4 * max(counts)}


def select(names, job):
    """The benchmarks of names the job's selection keeps; problems as lines."""
    sel, problems = job["select"], []
    wanted_threads = job["threads"] if job["threads"] != "all" else None
    kept, offered_sizes, offered_threads = [], set(), set()
    for name in names:
        b = benchmark_parts(name)
        if "benchmarks" in sel and b["op"] not in sel["benchmarks"]:
            continue
        if "impls" in sel and b["impl"] not in sel["impls"]:
            continue
        if b["args"]:
            offered_sizes.add(b["args"][0])
        if "sizes" in sel and b["args"] and b["args"][0] not in sel["sizes"]:
            continue
        if b["threads"] is not None:
            offered_threads.add(b["threads"])
            # the oversubscribed runs (2 and 4 times the largest count) come along
            if wanted_threads and b["threads"] not in wanted_threads and \
                    b["threads"] not in oversubscribed(wanted_threads):
                continue
        kept.append(name)
    if "sizes" in sel:
        missing = [n for n in sel["sizes"] if n not in offered_sizes]
        if missing:
            problems.append(f"job {job['name']}: no benchmark runs at size(s) "
                            f"{', '.join(map(str, missing))} (offered: "
                            f"{', '.join(map(str, sorted(offered_sizes)))})")
    if wanted_threads:
        missing = [n for n in wanted_threads if n not in offered_threads]
        if missing and offered_threads:
            problems.append(f"job {job['name']}: no benchmark runs at {', '.join(map(str, missing))}"
                            f" thread(s): for a largest count of {max(wanted_threads)} the "
                            f"harness runs {', '.join(map(str, sorted(offered_threads)))}")
    if not kept and not problems:
        problems.append(f"job {job['name']}: the selection leaves no benchmark")
    return kept, problems


class Sweep:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.name = check_run_name(args.run or default_run_name())
        self.dir = run_dir(args.results, self.name, must_exist=False)
        self.manifest_path = os.path.join(self.dir, "manifest.json")
        self.spec_path = os.path.abspath(args.spec or DEFAULT_SPEC)
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
            timespec="seconds"), "host": socket.gethostname(), "cpu": cpu_model(),
            "git": {"commit": commit, "dirty": dirty}, "jobs": {}, "files": []}

    def save(self, m):
        atomic_write(self.manifest_path, json.dumps(m, indent=2) + "\n")

    def binary(self, name):
        path = os.path.join(self.build, name)
        if not os.access(path, os.X_OK):
            raise Error(f"{path} is not built: run `make bench-build`")
        return path

    def kp_flags(self, job):
        flags = [f"--kp_placement={job['placement']}", f"--kp_mem={job['mem']}"]
        if job["threads"] != "all":
            flags.append("--kp_threads=" + ",".join(map(str, job["threads"])))
        return flags

    def list_tests(self, binary, suite, flags):
        out = subprocess.run([binary, "--benchmark_list_tests=true",
                              f"--benchmark_filter=^{suite}/"] + flags,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise Error(f"{os.path.basename(binary)}: "
                        f"{(out.stderr.strip().splitlines() or ['failed'])[-1]}")
        return [line.strip() for line in out.stdout.splitlines() if line.strip()]

    def overridden(self, job):
        """The job with the command line's overrides (--repetitions .. --quick)."""
        a, job = self.args, dict(job)
        for key, value in (("repetitions", a.repetitions), ("min_time", a.min_time),
                           ("mem", a.mem)):
            if value is not None:
                job[key] = value
        if a.threads is not None and job["suite"].endswith("_mt"):
            job["threads"] = harness_counts(a.threads)
        if a.quick:
            job["repetitions"], job["min_time"] = 2, 0.001
        return job

    def plan(self):
        """The spec's jobs, checked, each with the exact benchmarks it runs."""
        spec = specs.load(self.spec_path, placements=self.args.placements)
        jobs = [self.overridden(j) for j in spec["jobs"]]
        problems = []
        for job in jobs:
            binary = self.binary(job["binary"])
            flags = self.kp_flags(job)
            names = self.list_tests(binary, job["suite"], flags)
            kept, trouble = select(names, job)
            problems += trouble
            job["names"], job["benchmarks"] = kept, len(kept)
            job["filter"] = f"^{job['suite']}/" if len(kept) == len(names) else \
                "^(" + "|".join(REGEX_META.sub(r"\\\1", n) for n in kept) + ")$"
            job["kp_flags"] = flags
        if problems:
            raise Error("\n".join(f"{self.spec_path}: {p}" for p in problems))
        digest = hashlib.sha256(json.dumps([self.definition(j) for j in jobs],
                                           sort_keys=True).encode()).hexdigest()[:16]
        if self.args.jobs:
            known = [j["name"] for j in jobs]
            unknown = [n for n in self.args.jobs if n not in known]
            if unknown:
                raise Error(f"--jobs: no job {', '.join(unknown)} in {self.spec_path} "
                            f"(have: {', '.join(known)})")
            jobs = [j for j in jobs if j["name"] in self.args.jobs]
        return spec, digest, jobs

    @staticmethod
    def definition(job):
        """What makes two runs of a job the same job (a resumed run compares it)."""
        return {k: job[k] for k in ("suite", "binary", "placement", "mem", "repetitions",
                                     "min_time", "threads", "interleave", "select", "filter")}

    def run_job(self, m, index, total, spec_job):
        job, binary_name = spec_job["name"], spec_job["binary"]
        binary = self.binary(binary_name)
        reps = spec_job["repetitions"]
        planned = spec_job["benchmarks"] * reps
        final = os.path.join(self.dir, f"{job}.json")
        tmp_json = final + ".partial"
        probe = os.path.join(self.dir, f"{job}.probe.tmp")
        log_path = os.path.join(self.dir, f"{job}.log")
        commit, dirty = m["git"]["commit"], m["git"]["dirty"]
        cmd = [binary, f"--benchmark_filter={spec_job['filter']}",
               f"--benchmark_repetitions={reps}",
               f"--benchmark_min_time={spec_job['min_time']}",
               # repetitions spread over the job's time, so that they see the host's drift
               f"--benchmark_enable_random_interleaving={str(spec_job['interleave']).lower()}",
               f"--benchmark_out={tmp_json}", "--benchmark_out_format=json",
               f"--benchmark_context=kp_run={self.name},kp_job={job},"
               f"kp_git_commit={commit},kp_git_dirty={'yes' if dirty else 'no'}",
               f"--kp_probe_out={probe}",
               f"--kp_topology_xml={os.path.join(self.dir, 'topology.xml')}",
               ] + spec_job["kp_flags"]
        m["jobs"][job] = {"status": "running", "binary": binary_name,
                          "placement": spec_job["placement"], "mem": spec_job["mem"],
                          "repetitions": reps, "min_time": spec_job["min_time"],
                          "definition": self.definition(spec_job), "command": " ".join(cmd)}
        self.save(m)
        print(f"[{index}/{total}] {job}: {spec_job['benchmarks']} benchmarks x {reps} "
              f"repetitions ({spec_job['placement']}, memory {spec_job['mem']})", flush=True)
        started = datetime.datetime.now()
        done = 0
        name_set = set(spec_job["names"])
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
            "benchmarks": spec_job["benchmarks"], "errors": errors,
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
        spec = "" if self.spec_path == DEFAULT_SPEC else f" --spec {self.spec_path}"
        print(f"\ninterrupted: finished jobs are kept; `scripts/bench.py sweep{spec} --run "
              f"{self.name}` resumes", file=sys.stderr)
        sys.exit(130)

    def check_spec(self, m, spec, digest, text):
        """Record the spec in a new run; refuse a changed one on resume unless told.

        The digest covers every job as it would run, the command line's
        overrides (--quick, --repetitions ..) included, not the file's comments."""
        old = m.get("spec")
        if old and old.get("digest") != digest and not self.args.allow_spec_change:
            raise Error(f"run '{self.name}' was swept with another spec or other options "
                        f"({old.get('path')} {old.get('options', '')}): pass "
                        "--allow-spec-change to re-run the jobs that change, or pick a new --run")
        a = self.args
        inside = os.path.commonpath([self.spec_path, ROOT]) == ROOT
        m["spec"] = {"path": os.path.relpath(self.spec_path, ROOT) if inside else self.spec_path,
                     "digest": digest,
                     "description": spec["description"],
                     "options": " ".join(f"--{k.replace('_', '-')}" + ("" if v is True else f" {v}")
                                         for k, v in (("repetitions", a.repetitions),
                                                      ("min_time", a.min_time), ("mem", a.mem),
                                                      ("threads", ",".join(map(str, a.threads))
                                                       if isinstance(a.threads, list)
                                                       else a.threads),
                                                      ("placements", ",".join(a.placements or [])),
                                                      ("quick", a.quick))
                                         if v)}
        atomic_write(os.path.join(self.dir, "spec.toml"), text)

    def run(self):
        spec, digest, jobs = self.plan()    # everything is checked before anything runs
        with open(self.spec_path) as f:
            text = f.read()
        os.makedirs(self.dir, exist_ok=True)
        m = self.m = self.manifest()
        self.check_spec(m, spec, digest, text)
        self.save(m)
        signal.signal(signal.SIGINT, self.interrupt)
        signal.signal(signal.SIGTERM, self.interrupt)
        print(f"sweep: run '{self.name}' -> {self.dir} (spec {m['spec']['path']})")
        for i, job in enumerate(jobs, 1):
            state = m["jobs"].get(job["name"], {})
            if state.get("status") == "complete" and os.path.exists(
                    os.path.join(self.dir, state.get("json", ""))) and \
                    state.get("definition") == self.definition(job):
                print(f"[{i}/{len(jobs)}] {job['name']}: complete already, skipping")
                continue
            self.run_job(m, i, len(jobs), job)
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
