# SPDX-License-Identifier: MIT
"""compare.py - run B against run A, for a reader.

Every benchmark the two runs share gets the ratio of B's median time to
A's (below 1: B is faster), an interval for it (a bootstrap of the ratio
of medians over the repetitions: 95 %, 2,000 resamples, a fixed seed) and
the Mann-Whitney U test's p-value of the two runs' repetitions (SciPy,
exact for small samples): a change is called significant when p < 0.05
and its interval clears 1. A contended row runs for a fixed time: its
ratio is A's rate over B's. Per suite, the rows are drawn sorted on a log
axis, an interval per row, significant changes in colour, at most
PANEL_ROWS rows per panel. summary.md gives the geometric mean per suite
and the ten largest significant improvements and regressions, and says at
the top when the runs come from different machines, commits or specs.
Google Benchmark's own compare.py table is kept beside it, per job.
With --normalise, each job of B is first divided by its drift, the median
B/A of the job's peer rows (on a shared machine the host's speed moves job
by job: the one-RMW floor and the ping-pong probe, reported beside, do not
follow it), and a kprim row is called changed only beyond the job's noise
band, the largest move of any of its peers, whose code is the same in both
runs; the summary says how many raw changes that explains. Everything is
computed from the results folders alone.
"""

import math
import os
import statistics
import subprocess

import numpy

from .catalog import KPRIM_IMPLS
from .common import COMPARE_PY, SYSTEM_PYTHON, Error, atomic_write, load_json, run_dir
from .plots import gnuplot
from .report import compare_report
from .results import rows_from_json
from .stats import geomean, ratio_interval, rng, u_test

PANEL_ROWS = 40
ALPHA = 0.05
MIN_PEERS = 4       # --normalise: peer rows a job needs to measure its own noise band
TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 2, 3, 5, 10,
         20, 50, 100)


def readable_ticks(lo, hi):
    """Ticks of TICKS within [lo, hi], 1 always, none closer than a tenth of the axis."""
    gap = math.log(hi / lo) / 10
    keep = [1.0]
    for side in (sorted(t for t in TICKS if 1 < t <= hi),
                 sorted((t for t in TICKS if lo <= t < 1), reverse=True)):
        last = 1.0
        for t in side:
            if abs(math.log(t / last)) >= gap:
                keep.append(t)
                last = t
    return sorted(keep)


def probe_ns(m):
    """The median cache-line ping-pong round trip over a run's jobs (before and after)."""
    values = []
    for job in m["jobs"].values():
        for text in (job.get("pingpong_ns") or {}).values():
            for pair in str(text or "").split():
                try:
                    values.append(float(pair.rsplit(":", 1)[1]))
                except (IndexError, ValueError):
                    pass
    return statistics.median(values) if values else None


def calibration_figures(a_dir, a_m, b_dir, b_m):
    """B's one-RMW floor and ping-pong probe over A's (None where a run lacks one)."""
    def floor(d, m):
        state = m["jobs"].get("ref", {})
        if state.get("status") != "complete":
            return None
        rows = rows_from_json(load_json(os.path.join(d, state["json"]), "ref"), "ref")
        return next((float(r["real_ns_median"]) for r in rows
                     if r["op"] == "rmw" and r["impl"] == "c11"), None)
    fa, fb, pa, pb = floor(a_dir, a_m), floor(b_dir, b_m), probe_ns(a_m), probe_ns(b_m)
    return {"floor": fb / fa if fa and fb else None, "probe": pb / pa if pa and pb else None}


def calibrate(raw):
    """Per job: its drift, the median B/A of its peers' rows, and its noise band,
    the largest factor by which any peer row moved away from that median. The
    peers' code is the same in both runs, so whatever they did is the machine's
    noise: a kprim row counts as changed only beyond every peer of its job. A job
    with fewer than MIN_PEERS peer rows cannot show its noise: it borrows the
    median band of the others."""
    cal = {}
    for group in ordered_groups(raw):
        rows = [c for c in raw if c["group"] == group]
        peers = [c for c in rows if not c["kprim"]] or rows
        logs = [math.log(c["ratio"]) for c in peers]
        centre = statistics.median(logs)
        cal[group] = {"drift": math.exp(centre), "peers": len(peers),
                      "band": math.exp(max(abs(x - centre) for x in logs))
                      if len(peers) >= MIN_PEERS else None}
    known = [c["band"] for c in cal.values() if c["band"] is not None]
    for c in cal.values():
        if c["band"] is None:
            c["band"] = statistics.median(known) if known else 1.0
    return cal


def ordered_groups(rows):
    """The groups calibrate() normalises: a job's rows."""
    groups = []
    for c in rows:
        if c["group"] not in groups:
            groups.append(c["group"])
    return groups


def normalised(raw, cal):
    """raw with each job's drift divided out; significant only beyond its noise band."""
    out = []
    for c in raw:
        k = cal[c["group"]]
        ratio, lo, hi = c["ratio"] / k["drift"], c["lo"] / k["drift"], c["hi"] / k["drift"]
        significant = c["kprim"] and c["p"] < ALPHA and (hi < 1 / k["band"] or lo > k["band"])
        out.append(dict(c, ratio=ratio, lo=lo, hi=hi,
                        verdict=("faster" if ratio < 1 else "slower") if significant else "same"))
    return out


def label_of(job, r):
    label = f"{r['op']}/{r['impl']}" + (f"/{r['arg']}" if r["arg"] else "") + \
        (f"/t{r['threads']}" if r["threads"] > 1 else "")
    return label + (f" ({job[len(r['suite']) + 1:]})" if job.startswith(r["suite"] + "-") else "")


def changes(a_dir, a_m, b_dir, b_m, jobs):
    """Every shared benchmark: ratio, interval, p-value, verdict."""
    generator = rng()
    out = []
    for job in jobs:
        a_rows = {(r["op"], r["impl"], r["arg"], r["threads"]): r for r in rows_from_json(
            load_json(os.path.join(a_dir, a_m["jobs"][job]["json"]), job), job)}
        for r in rows_from_json(load_json(os.path.join(b_dir, b_m["jobs"][job]["json"]), job),
                                job):
            a = a_rows.get((r["op"], r["impl"], r["arg"], r["threads"]))
            if not a:
                continue
            # contended benchmarks run for a fixed time: their measure is the rate,
            # inverted so that below 1 still means B is faster
            rated = r["threads"] > 1 and min(a["mops_samples"] + r["mops_samples"],
                                              default=0) > 0
            a_s, b_s = (r["mops_samples"], a["mops_samples"]) if rated else \
                (a["samples"], r["samples"])
            if not a_s or not b_s or min(a_s) <= 0:
                continue
            ratio = float(numpy.median(b_s) / numpy.median(a_s))
            lo, hi = ratio_interval(a_s, b_s, generator)
            p = u_test(a_s, b_s)
            significant = p < ALPHA and (hi < 1 or lo > 1)
            out.append({"suite": r["suite"], "job": job, "label": label_of(job, r),
                        "group": job,
                        "kprim": r["impl"] in KPRIM_IMPLS,
                        "ratio": ratio, "lo": lo, "hi": hi, "p": p,
                        "verdict": ("faster" if ratio < 1 else "slower") if significant
                        else "same"})
    return out


def plot_panels(suite, rows, outdir, a_name, b_name):
    rows = sorted(rows, key=lambda c: c["ratio"])
    made = []
    panels = [rows[i:i + PANEL_ROWS] for i in range(0, len(rows), PANEL_ROWS)]
    colour = {"faster": "0x228833", "slower": "0xcc3311", "same": "0x999999"}
    for k, panel in enumerate(panels, 1):
        tag = f"{suite}" + (f"_{k}" if len(panels) > 1 else "")
        dat = os.path.join(outdir, f"{tag}.dat")
        atomic_write(dat, "".join(
            f"{i} \"{c['label']}\" {c['ratio']:.5g} {c['lo']:.5g} {c['hi']:.5g} "
            f"{colour[c['verdict']]}\n" for i, c in enumerate(panel)))
        lo = min(min(c["lo"] for c in panel), 0.9) / 1.05
        hi = max(max(c["hi"] for c in panel), 1.1) * 1.05
        ticks = readable_ticks(lo, hi)
        made += gnuplot("compare.gp", os.path.join(outdir, tag), {
            "datafile": dat, "aname": a_name, "bname": b_name, "rows": len(panel),
            "xmin": lo, "xmax": hi, "xticlist": ", ".join(f"{t:g}" for t in ticks),
            "height": 150 + 17 * len(panel),
            "plottitle": f"{suite}" + (f" ({k} of {len(panels)})" if len(panels) > 1 else "") +
            f": time {b_name} / {a_name}, median and 95 % interval"})
    return made


def differences(a_m, b_m):
    """What differs between the runs beyond the code, one line each."""
    lines = []
    if a_m.get("host") != b_m.get("host"):
        lines.append(f"different machines: {a_m.get('host')} and {b_m.get('host')}")
    a_s, b_s = a_m.get("spec", {}), b_m.get("spec", {})
    if a_s.get("digest") != b_s.get("digest"):
        lines.append(f"different sweep specs: {a_s.get('path', '?')} {a_s.get('options', '')}"
                     f" and {b_s.get('path', '?')} {b_s.get('options', '')}")
    a_g, b_g = a_m.get("git", {}), b_m.get("git", {})
    if a_g.get("commit") != b_g.get("commit"):
        lines.append(f"commits: {a_g.get('commit', '?')[:12]} and {b_g.get('commit', '?')[:12]}")
    return lines


def explained(raw, normalised):
    """How many of the raw comparison's significant changes the drift and noise explain."""
    was = [i for i, c in enumerate(raw) if c["verdict"] != "same"]
    gone = [i for i in was if normalised[i]["verdict"] == "same"]
    return (f"of the {len(was)} changes significant in the raw comparison, the host's drift "
            f"and noise explain {len(gone)} ({100 * len(gone) / len(was):.0f} %).") if was \
        else "the raw comparison had no significant change."


def summary(a_name, b_name, found, notes, pngs, raw, cal=None, figures=None):
    md = [f"# {b_name} against {a_name}", ""]
    md += [f"**Note:** {n}." for n in notes] + ([""] if notes else [])
    if cal:
        fig = ", ".join(f"{what} is {v:.3f}x A's" for what, v in
                        (("one-RMW floor", figures["floor"]), ("ping-pong probe", figures["probe"]))
                        if v) or "no calibration figure in common"
        md += [f"**Normalised.** B's {fig}; but on a shared machine the host's speed "
               "moves job by job, so each job is normalised by its own peers measured beside "
               "kprim: B's times are divided by the median B/A of the job's peer rows (its "
               "drift), and a kprim row's change is significant only beyond the job's noise band, "
               "the largest factor by which any of its peers moved (their code is the same in "
               "both runs, so what they did is the machine's noise)."f" Geometric mean of every ratio: {geomean([c['ratio'] for c in raw]):.3f} raw, "
               f"{geomean([c['ratio'] for c in found]):.3f} normalised; {explained(raw, found)}",
               "",
               "| job | peer rows | drift (peers' median B/A) | noise band |",
               "|---|---|---|---|"]
        md += [f"| {group} | {k['peers']} | {k['drift']:.3f} | x{k['band']:.2f} |"
               for group, k in cal.items()]
        md.append("")
    md += ["Time ratio B / A per benchmark (below 1: B is faster; a contended row, which "
           "runs for a fixed time, compares A's rate over B's). A change is significant "
           f"when the Mann-Whitney U test gives p < {ALPHA} and the 95 % bootstrap interval "
           "of the ratio of medians clears 1.", "",
           "| suite | benchmarks | geometric mean B/A | significantly faster | slower |",
           "|---|---|---|---|---|"]
    for suite in sorted({c["suite"] for c in found}):
        rows = [c for c in found if c["suite"] == suite]
        md.append(f"| {suite} | {len(rows)} | {geomean([c['ratio'] for c in rows]):.3f} | "
                  f"{sum(c['verdict'] == 'faster' for c in rows)} | "
                  f"{sum(c['verdict'] == 'slower' for c in rows)} |")
    for title, verdict, key in (("improvements", "faster", lambda c: c["ratio"]),
                                ("regressions", "slower", lambda c: -c["ratio"])):
        top = sorted((c for c in found if c["verdict"] == verdict), key=key)[:10]
        md += ["", f"## The ten largest significant {title}", ""]
        if not top:
            md.append("none")
            continue
        md += ["| benchmark | B/A | 95 % interval | p |", "|---|---|---|---|"]
        md += [f"| {c['suite']}/{c['label']} | {c['ratio']:.3f} | {c['lo']:.3f} - {c['hi']:.3f}"
               f" | {c['p']:.3g} |" for c in top]
    md += ["", "## Panels", ""] + [f"![{os.path.basename(p)}]({os.path.basename(p)})"
                                    for p in pngs]
    return "\n".join(md) + "\n"


def cmd_compare(args):
    a_dir, b_dir = run_dir(args.results, args.a), run_dir(args.results, args.b)
    a_m, b_m = load_json(os.path.join(a_dir, "manifest.json"), args.a), \
        load_json(os.path.join(b_dir, "manifest.json"), args.b)
    jobs = [j for j in a_m["jobs"] if a_m["jobs"][j].get("status") == "complete"
            and b_m["jobs"].get(j, {}).get("status") == "complete"]
    if not jobs:
        raise Error(f"runs '{args.a}' and '{args.b}' have no finished job in common")
    raw = changes(a_dir, a_m, b_dir, b_m, jobs)
    if not raw:
        raise Error(f"runs '{args.a}' and '{args.b}' share no benchmark")
    cal = calibrate(raw) if args.normalise else None
    found = normalised(raw, cal) if cal else raw
    outdir = os.path.join(args.plots, f"compare-{args.a}-vs-{args.b}"
                          + ("-normalised" if cal else ""))
    os.makedirs(outdir, exist_ok=True)
    made = []
    for suite in sorted({c["suite"] for c in found}):
        made += plot_panels(suite, [c for c in found if c["suite"] == suite], outdir,
                            args.a, args.b)
    for job in jobs:
        r = subprocess.run([SYSTEM_PYTHON, COMPARE_PY, "-a", "--no-color", "benchmarks",
                            os.path.join(a_dir, a_m["jobs"][job]["json"]),
                            os.path.join(b_dir, b_m["jobs"][job]["json"])],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise Error(f"compare.py failed on {job}: {r.stderr.strip()[-300:]}")
        atomic_write(os.path.join(outdir, f"compare.py-{job}.txt"), r.stdout)
    text = summary(args.a, args.b, found, differences(a_m, b_m),
                   [p for p in made if p.endswith(".png")], raw, cal,
                   calibration_figures(a_dir, a_m, b_dir, b_m))
    atomic_write(os.path.join(outdir, "summary.md"), text)
    page = compare_report(outdir, f"kprim: {args.b} against {args.a}")
    print(text.split("\n## Panels")[0].rstrip())
    print(f"\ncompare: {page} ({os.path.join(outdir, 'summary.md')}), {len(made) // 2} "
          "panel(s), compare.py's tables in compare.py-<job>.txt")
    return made
