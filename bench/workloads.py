#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""workloads.py - real Debian programs under every allocator and lock, by
LD_PRELOAD (mimalloc-bench's and LiTL's method), for the sweep.

Built into build/<variant>/bench/bench_workloads, it speaks the part of
Google Benchmark's command line that a sweep uses (--benchmark_filter,
_repetitions, _out, _list_tests, _context, the kp_ flags), and writes its
JSON, so a workload job goes through the sweep, the CSVs, the plots and
compare like every other job. Names are

  workload/<program>/<allocator>        glibc jemalloc mimalloc tcmalloc kprim
  workload_locks/<program>/<lock>       pthread mutex smutex

Each repetition records wall time (real_time, ms), user+sys time
(cpu_time) and peak RSS (counter peak_rss_kb) of the program under test:
for a server (redis, memcached) the server's CPU and RSS, and the wall
time of the client's fixed load. "glibc" preloads libc.so.6 itself, so
that a program linked against another allocator (Debian's redis links
jemalloc) runs on glibc's malloc there; tcmalloc is its minimal library
(no profiler hooks: its fastest). A workload whose program is not
installed is listed by --kp_workloads_missing and skipped with a "kp:"
line, never faked. The programs are Debian's: they are looked up, and run,
with PATH set to /usr/sbin:/usr/bin:/sbin:/bin, whatever the caller's PATH
puts first.

  bench_workloads --benchmark_list_tests=true
  bench_workloads --benchmark_filter='^workload/sqlite/' --benchmark_repetitions=3
  bench_workloads --kp_quick ...     a tenth of the work (make test; also what
                                     --benchmark_min_time below 0.01 asks for)
  bench_workloads --kp_build=DIR     the preload libraries of another build
                                     (build/debug: slub_debug and lockdep on)
"""
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIBDIR = "/usr/lib/x86_64-linux-gnu"
ALLOCATORS = {
    "glibc": "/lib/x86_64-linux-gnu/libc.so.6",
    "jemalloc": f"{LIBDIR}/libjemalloc.so.2",
    "mimalloc": f"{LIBDIR}/libmimalloc.so.2",
    "tcmalloc": f"{LIBDIR}/libtcmalloc_minimal.so.4",
    "kprim": "libkprim-malloc.so",          # in the build folder
}
LOCKS = {"pthread": None, "mutex": "mutex", "smutex": "smutex"}
# The source tree (the gcc workload compiles a kprim file): make writes it in at build time.
SRCDIR = "@SRCDIR@"
REPO = SRCDIR if os.path.isdir(os.path.join(SRCDIR, "primitives")) else \
    os.path.dirname(HERE) if os.path.isdir(os.path.join(os.path.dirname(HERE), "primitives")) else None


# The programs are Debian's, whatever the user's PATH puts before them: a
# pyenv shim named python3 is a bash script, so each run would time bash
# and the shim's helpers under the preload, then another build of Python.
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


class Skip(Exception):
    pass


def installed(program):
    return shutil.which(program, path=SYSTEM_PATH)


def need(*programs):
    for p in programs:
        if not installed(p):
            raise Skip(f"{p} is not installed (scripts/install-deps.sh installs it)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on port {port}")


def proc_cpu_s(pid):
    """utime + stime of a live process, seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class Ctx:
    """What a workload needs: scratch folder, scale, the environment to run under."""

    def __init__(self, work, scale, env, build):
        self.work, self.scale, self.env, self.build = work, scale, env, build

    def n(self, full):
        return max(1, int(full * self.scale))

    def run(self, cmd, stdin=None, stdout=subprocess.DEVNULL):
        """Run cmd under the preload; (wall s, cpu s, peak rss kb).

        Through GNU time: a child forked from this Python process would
        inherit its peak RSS (the kernel carries it over exec), time's is small."""
        stats = os.path.join(self.work, "time.out")
        start = time.monotonic()
        p = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", stats] + cmd,
                           env=self.env, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                           cwd=self.work)
        wall = time.monotonic() - start
        check_output(cmd[0], p.returncode, p.stderr)
        with open(stats) as f:
            user, sys_, rss = f.read().split()[-3:]
        return wall, float(user) + float(sys_), int(rss)

    def server(self, cmd, port, client):
        """Start a server under the preload, time the client (no preload) against it."""
        clean = {k: v for k, v in self.env.items() if k not in ("LD_PRELOAD", "KPRIM_MUTEX")}
        p = subprocess.Popen(cmd, env=self.env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, cwd=self.work)
        try:
            wait_port(port, p)
            cpu0 = proc_cpu_s(p.pid)
            start = time.monotonic()
            c = subprocess.run(client, env=clean, capture_output=True, cwd=self.work)
            wall = time.monotonic() - start
            if c.returncode != 0:
                raise RuntimeError(f"{client[0]} failed: {c.stderr.decode()[-300:]}")
            cpu = proc_cpu_s(p.pid) - cpu0
            rss = proc_hwm_kb(p.pid)
        finally:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        err = p.stderr.read()
        p.wait()
        check_output(cmd[0], 0, err)
        return wall, cpu, rss


def check_output(prog, rc, err):
    """A kprim report in the program's stderr, or a failure, fails the run."""
    text = err.decode(errors="replace")
    if "[ cut here ]" in text:
        raise RuntimeError(f"{os.path.basename(prog)}: kprim report:\n{text[-2000:]}")
    if rc != 0:
        raise RuntimeError(f"{os.path.basename(prog)} exited with status {rc}: {text[-500:]}")


# ---- the workloads -------------------------------------------------------------------

def w_redis(c):
    need("redis-server", "redis-benchmark")
    port = free_port()
    return c.server(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
                     "--bind", "127.0.0.1"], port,
                    ["redis-benchmark", "-p", str(port), "-q", "-n", str(c.n(10000)), "-c", "8",
                     "-d", "200", "-r", "50000", "-t", "set,get,lpush,lpop,sadd,hset"])


def w_sqlite(c):
    need("sqlite3")
    rows = c.n(100000)
    script = f"""
PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536;
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, s TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < {rows})
INSERT INTO t SELECT i, (i * 7919) % 1000, hex(randomblob(16)) || i FROM n;
CREATE INDEX tk ON t(k); CREATE INDEX ts ON t(s);
SELECT k, count(*), max(s) FROM t GROUP BY k ORDER BY 2 DESC LIMIT 5;
SELECT count(DISTINCT substr(s, 1, 4)) FROM t;
UPDATE t SET s = s || 'x' WHERE k % 3 = 0;
DELETE FROM t WHERE k % 5 = 0;
SELECT sum(length(s)) FROM t;
"""
    db = os.path.join(c.work, "w.db")
    if os.path.exists(db):
        os.unlink(db)
    with tempfile.TemporaryFile() as f:
        f.write(script.encode())
        f.seek(0)
        return c.run(["sqlite3", db], stdin=f)


PY_SCRIPT = """
import json, sys
n = int(sys.argv[1])
d = {}
for i in range(n):
    d[str(i) * 3] = [i, str(i), {"k": i, "v": [i] * (i % 7)}]
s = json.dumps(d)
back = json.loads(s)
words = [w.upper() for w in s.split(",")]
words.sort()
del d, back
chunks = [bytes(i % 251) * 3 for i in range(n // 2)]
print(len(words), sum(map(len, chunks)))
"""


def w_python(c):
    need("python3")
    return c.run(["python3", "-c", PY_SCRIPT, str(c.n(40000))])


LUA_SCRIPT = """
local n = tonumber(arg[1])
local t = {}
for i = 1, n do t[i] = { id = i, name = "item" .. i, tags = { i % 7, i % 11 } } end
local s = {}
for i = 1, n, 3 do s[#s + 1] = t[i].name .. ":" .. table.concat(t[i].tags, ",") end
table.sort(s)
local joined = table.concat(s, ";")
local count = 0
for w in joined:gmatch("item(%d+)") do count = count + 1 end
t = nil; collectgarbage()
print(count, #joined)
"""


def w_lua(c):
    need("lua5.4")
    return c.run(["lua5.4", "-e", LUA_SCRIPT.replace("arg[1]", str(c.n(200000)))])


def corpus(c, mb):
    """A compressible text file of mb MiB (words from a fixed seed), made once per run."""
    path = os.path.join(c.work, f"corpus-{mb}.txt")
    if not os.path.exists(path):
        rnd = random.Random(1)
        words = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9)))
                 for _ in range(5000)]
        with open(path, "w") as f:
            size = 0
            while size < mb << 20:
                line = " ".join(rnd.choice(words) for _ in range(12)) + "\n"
                f.write(line)
                size += len(line)
    return path


def w_xz(c):
    need("xz")
    src = corpus(c, max(1, int(4 * c.scale)))
    return c.run(["xz", "-T2", "-3", "-c", "-k", src])


def w_zstd(c):
    need("zstd")
    src = corpus(c, max(1, int(16 * c.scale)))
    return c.run(["zstd", "-T2", "-9", "-c", "-q", src])


def w_gcc(c):
    need("gcc")
    if not REPO:
        raise Skip("no kprim source tree beside the build folder")
    source = "kmalloc.c" if c.scale >= 1 else "vmalloc.c"
    return c.run(["gcc", "-O2", "-c", "-I", os.path.join(REPO, "primitives"),
                  "-I", os.path.join(c.build, "include"),
                  os.path.join(REPO, "primitives", "alloc", source), "-o",
                  os.path.join(c.work, "w.o")])


def w_sysbench_mutex(c):
    need("sysbench")
    return c.run(["sysbench", "mutex", "--threads=4", f"--mutex-locks={c.n(100000)}",
                  "--mutex-loops=100", "run"])


def w_sysbench_threads(c):
    need("sysbench")
    return c.run(["sysbench", "threads", "--threads=4", "--thread-locks=2", "--time=0",
                  f"--events={c.n(500)}", "run"])


def w_pigz(c):
    need("pigz")
    src = corpus(c, max(1, int(24 * c.scale)))
    return c.run(["pigz", "-p", "4", "-c", src])


def w_zstd_mt(c):
    need("zstd")
    src = corpus(c, max(1, int(24 * c.scale)))
    return c.run(["zstd", "-T4", "-3", "-c", "-q", src])


def w_memcached(c):
    need("memcached", "memcslap")
    port = free_port()
    return c.server(["memcached", "-u", "root", "-l", "127.0.0.1", "-p", str(port), "-U", "0",
                     "-t", "4"], port,
                    ["memcslap", f"--servers=127.0.0.1:{port}", "--concurrency=4",
                     f"--execute-number={c.n(10000)}"])


def w_stress_pthread(c):
    """stress-ng's pthread stressor: threads made and ended under a mutex and a condvar.

    Its mutex stressor is left out: it asks for priority inheritance, whose
    mutexes stay glibc's, and fails now and then to make its threads at all."""
    need("stress-ng")
    return c.run(["stress-ng", "--pthread", "2", "--pthread-ops", str(c.n(10000)), "-q"])


ALLOC_WORKLOADS = {"redis": w_redis, "sqlite": w_sqlite, "python": w_python, "lua": w_lua,
                   "xz": w_xz, "zstd": w_zstd, "gcc": w_gcc}
LOCK_WORKLOADS = {"sysbench_mutex": w_sysbench_mutex, "sysbench_threads": w_sysbench_threads,
                  "pigz": w_pigz, "zstd_mt": w_zstd_mt, "memcached": w_memcached,
                  "stress_pthread": w_stress_pthread}
PROGRAMS = {"redis": ["redis-server", "redis-benchmark"], "sqlite": ["sqlite3"],
            "python": ["python3"], "lua": ["lua5.4"], "xz": ["xz"], "zstd": ["zstd"],
            "gcc": ["gcc"], "sysbench_mutex": ["sysbench"], "sysbench_threads": ["sysbench"],
            "pigz": ["pigz"], "zstd_mt": ["zstd"], "memcached": ["memcached", "memcslap"],
            "stress_pthread": ["stress-ng"]}


def all_names(build):
    """Every workload's benchmark names, and the skipped ones with why."""
    names, skipped = [], {}
    for suite, table, impls in (("workload", ALLOC_WORKLOADS, ALLOCATORS),
                                ("workload_locks", LOCK_WORKLOADS, LOCKS)):
        for w in table:
            missing = [p for p in PROGRAMS[w] if not installed(p)]
            if missing:
                skipped[w] = f"{', '.join(missing)} not installed"
                continue
            for impl in impls:
                lib = preload_of(build, suite, impl)
                if lib and not os.path.exists(lib):
                    skipped[f"{w}/{impl}"] = f"{lib} not found"
                    continue
                names.append(f"{suite}/{w}/{impl}")
    return names, skipped


def preload_of(build, suite, impl):
    if suite == "workload":
        lib = ALLOCATORS[impl]
        return os.path.join(build, lib) if not lib.startswith("/") else lib
    return os.path.join(build, "libkprim-pthread.so") if LOCKS[impl] else None


def environment(build, suite, impl):
    env = dict(os.environ, PATH=SYSTEM_PATH)
    env.pop("LD_PRELOAD", None)
    lib = preload_of(build, suite, impl)
    if lib:
        env["LD_PRELOAD"] = lib
    if suite == "workload_locks" and LOCKS[impl]:
        env["KPRIM_MUTEX"] = LOCKS[impl]
    return env


def parse(argv):
    opts = {"filter": ".", "repetitions": 1, "out": None, "list": False, "context": "",
            "probe": None, "quick": False, "interleave": False, "build": None,
            "missing": False}
    for a in argv:
        if a in ("-h", "--help"):
            print(__doc__.strip())
            sys.exit(0)
        m = re.match(r"^--([a-z_]+)(?:=(.*))?$", a)
        if not m:
            sys.exit(f"bench_workloads: unknown argument '{a}' (try --help)")
        key, val = m.group(1), m.group(2)
        if key == "benchmark_filter":
            opts["filter"] = val
        elif key == "benchmark_repetitions":
            opts["repetitions"] = int(val)
        elif key == "benchmark_out":
            opts["out"] = val
        elif key == "benchmark_list_tests":
            opts["list"] = val in ("true", "1", None)
        elif key == "benchmark_context":
            opts["context"] = val
        elif key == "benchmark_enable_random_interleaving":
            opts["interleave"] = val == "true"
        elif key == "kp_probe_out":
            opts["probe"] = val
        elif key == "kp_quick":
            opts["quick"] = True
        elif key == "kp_build":
            opts["build"] = val
        elif key == "kp_workloads_missing":
            opts["missing"] = True
        elif key == "benchmark_min_time":
            opts["quick"] = opts["quick"] or float(val) < 0.01     # a sweep's --quick
        elif key in ("benchmark_out_format", "kp_placement", "kp_mem",
                     "kp_threads", "kp_topology_xml"):
            continue        # a program's own threads and placement are its business
        else:
            sys.exit(f"bench_workloads: unknown option --{key} (try --help)")
    return opts


def main(argv):
    o = parse(argv)
    build = os.path.abspath(o["build"] or os.path.dirname(HERE))
    names, skipped = all_names(build)
    if o["missing"]:
        for w, why in sorted(skipped.items()):
            print(f"{w}: {why}")
        return 0
    try:
        names = [n for n in names if re.search(o["filter"], n)]
    except re.error as e:
        sys.exit(f"bench_workloads: bad --benchmark_filter: {e}")
    if o["list"]:
        print("\n".join(names))
        return 0
    for w, why in sorted(skipped.items()):
        print(f"kp: workload {w} skipped: {why}", flush=True)
    if not names:
        sys.exit("bench_workloads: no workload matches the filter")
    order = [(n, r) for r in range(o["repetitions"]) for n in names]
    if o["interleave"]:
        random.Random(os.getpid()).shuffle(order)
    runs = []
    work = tempfile.mkdtemp(prefix="kprim-workloads-")
    scale = 0.1 if o["quick"] else 1.0
    try:
        for n, rep in order:
            suite, w, impl = n.split("/")
            c = Ctx(work, scale, environment(build, suite, impl), build)
            fn = (ALLOC_WORKLOADS if suite == "workload" else LOCK_WORKLOADS)[w]
            try:
                wall, cpu, rss = fn(c)
                err = None
            except (RuntimeError, Skip) as e:
                wall = cpu = rss = 0
                err = str(e)
            runs.append({"name": n, "run_name": n, "run_type": "iteration",
                         "repetitions": o["repetitions"], "repetition_index": rep,
                         "threads": 1, "iterations": 1, "real_time": wall * 1e3,
                         "cpu_time": cpu * 1e3, "time_unit": "ms", "peak_rss_kb": rss,
                         "cpu_ms": cpu * 1e3,       # a counter: the CSV keeps it
                         **({"error_occurred": True, "error_message": err} if err else {})})
            print(f"{n} {wall * 1e3:.1f} ms {cpu * 1e3:.1f} ms rss {rss} kB"
                  + (f" ERROR: {err}" if err else ""), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    runs.sort(key=lambda r: (names.index(r["name"]), r["repetition_index"]))
    ctx = dict(kv.split("=", 1) for kv in o["context"].split(",") if "=" in kv)
    ctx.update({"kp_placement": "os", "kp_mem": "os", "library_build_type": "release",
                "kp_workloads_skipped": "; ".join(f"{k}: {v}" for k, v in skipped.items()),
                "date": time.strftime("%Y-%m-%dT%H:%M:%S"), "host_name": socket.gethostname()})
    if o["out"]:
        with open(o["out"], "w") as f:
            json.dump({"context": ctx, "benchmarks": runs}, f, indent=1)
    if o["probe"]:
        with open(o["probe"], "w") as f:
            json.dump({"before": "", "after": ""}, f)
    return 1 if any(r.get("error_occurred") for r in runs) else 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main(sys.argv[1:]))
