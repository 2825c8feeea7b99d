# SPDX-License-Identifier: MIT
"""results.py - Google Benchmark's JSON to one CSV row per benchmark
(medians, spread, user counters), and the CSVs back for plots and tables."""

import csv
import io
import os
import statistics

from .catalog import WORKLOAD_BASE
from .common import CSV_FIELDS, GB_KEYS, OPTIONAL_FIELDS, Error, atomic_write, load_json

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


def format_samples(values):
    return ";".join(f"{v:.6g}" for v in values)


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
                                         for k, v in g["counters"].items()}),
            # the repetitions themselves, for intervals and tests
            "samples": times, "mops_samples": rates})
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
        w.writerows(dict(r, samples=format_samples(r["samples"]),
                         mops_samples=format_samples(r["mops_samples"])) for r in rows)
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
                if any((k not in r and k not in OPTIONAL_FIELDS[1:]) or
                       (r.get(k) in (None, "") and k not in OPTIONAL_FIELDS) for k in CSV_FIELDS):
                    raise ValueError("missing fields")
                r["counters"] = parse_counters(r.get("counters"))
                for k in ("samples", "mops_samples"):
                    r[k] = [float(v) for v in (r.get(k) or "").split(";") if v]
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


def workload_ratios(suite, rows):
    """workload -> impl -> (median time / the base's, peak RSS / the base's), for
    the workload suites; the base is WORKLOAD_BASE's (glibc, or its mutex)."""
    base = WORKLOAD_BASE[suite]
    cell = {(r["op"], r["impl"]): r for r in rows}
    out = {}
    for op in dict.fromkeys(r["op"] for r in rows):
        b = cell.get((op, base))
        if not b or not b["real_ns_median"]:
            continue
        b_rss = b["counters"].get("peak_rss_kb", 0)
        for impl in dict.fromkeys(r["impl"] for r in rows):
            r = cell.get((op, impl))
            if r:
                rss = r["counters"].get("peak_rss_kb", 0)
                out.setdefault(op, {})[impl] = (r["real_ns_median"] / b["real_ns_median"],
                                                rss / b_rss if b_rss else float("nan"))
    return out
