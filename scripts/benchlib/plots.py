# SPDX-License-Identifier: MIT
"""plots.py - a run drawn with gnuplot into plots/<run>/, from its results
folder alone (the CSVs, and the CPU count from a job's JSON): bars per
implementation, sizes, strips of every repetition, scaling and fairness as
small multiples, latency percentiles, real programs' time and RSS over
glibc's; then the run's report (report.py)."""

import os
import subprocess

from .catalog import KPRIM_IMPLS, WORKLOAD_BASE
from .common import ROOT, Error, atomic_write, latest_run, load_json, run_dir
from .report import run_report
from .results import read_csvs, workload_ratios
from .stats import geomean

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


def plot_strips(suite, rows, outdir):
    """Every repetition of the sized one-thread benchmarks, a panel per size (allocator pairs)."""
    made = []
    for op in sorted(sized_ops(rows)):
        by_size = {}
        for r in rows:
            if r["op"] == op and r["arg"] and r["threads"] == 1 and r["samples"]:
                by_size.setdefault(int(r["arg"]), []).append(r)
        if not by_size:
            continue
        impls = ordered(r["impl"] for rs in by_size.values() for r in rs)
        dat = os.path.join(outdir, f"{suite}_{op}_strips.dat")
        variables = {"datafile": dat, "npanels": len(by_size), "cols": min(4, len(by_size)),
                     "impls": " ".join(impls), "width": 1200,
                     "height": 330 * ((len(by_size) + 3) // 4) + 60,
                     "plottitle": f"{suite} {op}: every repetition (dots) and the median (bar),"
                                  " per object size"}
        for p, size in enumerate(sorted(by_size), 1):
            points, medians = [], []
            for r in by_size[size]:
                i = impls.index(r["impl"])
                points += [f"{i} {t:.6g}" for t in r["samples"]]
                medians.append(f"{i - 0.15} {r['real_ns_median']:.6g}")
            atomic_write(f"{dat}.{p}", "\n".join(points) + "\n\n\n" + "\n".join(medians) + "\n")
            variables[f"panel{p}"] = f"{size} B" if size < 1024 else f"{size // 1024} KiB"
            times = [t for r in by_size[size] for t in r["samples"]]
            variables[f"logy{p}"] = int(max(times) > 10 * min(times) > 0)
        made += gnuplot("strips.gp", os.path.join(outdir, f"{suite}_{op}_strips"), variables)
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


def plot_scaling(suite, rows, outdir, cpus):
    """Throughput against threads, a panel per placement; where the runs count fairness,
    Jain's index too. Threads beyond cpus are drawn as oversubscribed."""
    made = []
    for (op, arg), series in scaling_groups(rows).items():
        if max(len(v) for v in series.values()) < 2 and len(series) < 2:
            continue
        tag = f"{suite}_{op}" + (f"_{arg}" if arg else "")
        what = f"{suite} {op}" + (f" ({arg})" if arg else "")
        placements = ordered(rs[0]["placement"] for rs in series.values())
        plots = [("scaling", "Mops/s, all threads (median; bar: stddev)",
                  lambda r: f"{r['mops_median']} {r['mops_stddev']}", "throughput vs threads")]
        if all("jain" in r["counters"] for rs in series.values() for r in rs):
            plots.append(("fairness", "Jain fairness index (1 = equal shares)",
                          lambda r: f"{r['counters']['jain']} 0", "fairness vs threads"))
        for kind, ylabel, value, title in plots:
            dat = os.path.join(outdir, f"{tag}_{kind}.dat")
            variables = {"datafile": dat, "npanels": len(placements), "ylab": ylabel,
                         "width": max(700, 560 * len(placements)), "height": 560,
                         "plottitle": f"{what}: {title} (solid: kprim; dashed: peers)"}
            if cpus:
                variables["cpus"] = cpus
            for p, placement in enumerate(placements, 1):
                # kprim's lines first, so that they keep the first colours in every panel
                keys = sorted((k for k, rs in series.items() if rs[0]["placement"] == placement),
                              key=lambda k: (series[k][0]["impl"] not in KPRIM_IMPLS, k))
                atomic_write(f"{dat}.{p}", "\n\n\n".join(
                    "\n".join(f"{r['threads']} {value(r)}" for r in series[k])
                    for k in keys) + "\n")
                variables[f"panel{p}"] = placement
                variables[f"titles{p}"] = " ".join(series[k][0]["impl"] for k in keys)
                variables[f"kprim{p}"] = " ".join(
                    "1" if series[k][0]["impl"] in KPRIM_IMPLS else "0" for k in keys)
            made += gnuplot("scaling.gp", os.path.join(outdir, f"{tag}_{kind}"), variables)
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


def plot_workloads(suite, rows, outdir):
    ratios = workload_ratios(suite, rows)
    impls = ordered(r["impl"] for r in rows)
    if not ratios:
        return []
    files = {}
    for k, what in ((0, "time"), (1, "rss")):
        lines = ["workload " + " ".join(impls)]
        for op, per in ratios.items():
            lines.append(op + " " + " ".join(f"{per[i][k]:.4g}" if i in per else "NaN"
                                             for i in impls))
        lines.append("geomean " + " ".join(
            f"{geomean([per[i][k] for per in ratios.values() if i in per]):.4g}" for i in impls))
        files[what] = os.path.join(outdir, f"{suite}_{what}.dat")
        atomic_write(files[what], "\n".join(lines) + "\n")
    base = WORKLOAD_BASE[suite]
    return gnuplot("workloads.gp", os.path.join(outdir, f"{suite}_workloads"),
                   {"timefile": files["time"], "rssfile": files["rss"], "nseries": len(impls),
                    "width": max(900, 22 * (len(ratios) + 1) * len(impls)),
                    "plottitle": f"{suite}: real programs, wall time and peak RSS relative to {base}"})


def run_cpus(d):
    """The CPUs the run's machine had (Google Benchmark's num_cpus), or None."""
    m = load_json(os.path.join(d, "manifest.json"), "manifest")
    for job in m.get("jobs", {}).values():
        if job.get("status") == "complete" and job.get("json"):
            return load_json(os.path.join(d, job["json"]), "job").get("context", {}).get(
                "num_cpus")
    return None


def cmd_plots(args):
    name = args.run or latest_run(args.results)
    d = run_dir(args.results, name)
    suites = read_csvs(d)
    cpus = run_cpus(d)
    outdir = os.path.join(args.plots, name)
    os.makedirs(outdir, exist_ok=True)
    made = []
    for suite, rows in suites.items():
        if suite in WORKLOAD_BASE:
            made += plot_workloads(suite, rows, outdir)
        elif any(r["threads"] > 1 for r in rows) or suite.endswith("_mt"):
            made += plot_scaling(suite, rows, outdir, cpus)
            made += plot_latency(suite, rows, outdir)
        else:
            made += plot_ops(suite, rows, outdir)
            made += plot_sizes(suite, rows, outdir)
            made += plot_strips(suite, rows, outdir)
    print(f"plots: {len(made)} files in {outdir}")
    print(f"report: {run_report(args.results, args.plots, name)}")
    return made
