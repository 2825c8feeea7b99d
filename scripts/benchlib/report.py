# SPDX-License-Identifier: MIT
"""report.py - one page per run, and one per comparison, to share.

plots/<run>/index.html holds the headline table with its targets and
verdicts, the machine (host, CPU, topology picture, compiler and flags,
commit, the ping-pong probe per job), the spec the sweep ran, and every
plot with a line saying what to look at. plots/compare-A-vs-B/index.html
is the comparison's summary.md (Python-Markdown) with its panels. Images
are embedded (data: URIs), so a page is one file that reads offline and
survives being mailed; each links to its SVG beside it for full size.
Only the results and plots folders are read.
"""

import base64
import html
import os
import re

import markdown

from .common import atomic_write, load_json, run_dir
from .headline import headline_rows
from .results import read_csvs

STYLE = """
body { font: 15px/1.45 sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.met { color: #1a7f37; } .missed { color: #c62828; font-weight: bold; }
.noise { color: #8a6d00; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; margin-top: 0.3em; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; }
"""


def data_uri(path):
    with open(path, "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode()


def page(title, body):
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
            f"<body>\n{body}\n</body></html>\n")


def figure(png, caption):
    """An embedded plot linking to its SVG (where there is one) and its caption."""
    img = f"<img src=\"{data_uri(png)}\" alt=\"{html.escape(os.path.basename(png))}\">"
    svg = png[:-4] + ".svg"
    if os.path.exists(svg):
        img = f"<a href=\"{html.escape(os.path.basename(svg))}\">{img}</a>"
    return f"<figure>{img}<figcaption>{html.escape(caption)}</figcaption></figure>"


def caption(name):
    """What to look at in a plot of plots.py, by its file name."""
    stem, suite = name[:-4], caption_suite(name)
    rules = (
        (r"_ops$", f"{suite}: nanoseconds per operation on one thread, a bar per "
                   "implementation (lower is better); read kprim's bars against the peers' "
                   "beside them, and the error bars for how steady each is."),
        (r"_sizes$", f"{suite} {stem[len(suite) + 1:-6]}: time per operation by object size; "
                     "where two lines cross, one allocator overtakes the other."),
        (r"_strips$", f"{suite} {stem[len(suite) + 1:-7]}: every repetition as a dot and "
                      "the median as a bar, a panel per size; where two medians are close, "
                      "see whether their dots overlap before believing the difference."),
        (r"_scaling$", f"{stem[:-8]}: throughput against threads, a line per implementation "
                       "and placement; look for lines that stop rising, and for what happens "
                       "past the CPU count (oversubscribed)."),
        (r"_fairness$", f"{stem[:-9]}: Jain's fairness index against threads (1: every "
                        "thread got the same share); a dip means some threads starve."),
        (r"_latency$", f"{stem[:-8]}: wait and hand-off latency percentiles per lock (log "
                       "scale); p99 and max far above p50 mean a waiter was left behind."),
        (r"_workloads$", f"{stem[:-10]}: real programs under each implementation by "
                         "LD_PRELOAD, wall time (top) and peak RSS (bottom) over the base's "
                         "(glibc's malloc, or its mutex), geometric mean last; below the "
                         "dashed line is better than the base."),
    )
    for pattern, text in rules:
        if re.search(pattern, stem):
            return text
    return stem


def verdict_class(note):
    for word, cls in (("missed", "missed"), ("within noise", "noise"), ("met", "met")):
        if word in note:
            return cls
    return ""


def machine_rows(d, m):
    ctx = {}
    for job in m.get("jobs", {}).values():
        if job.get("status") == "complete" and job.get("json"):
            ctx = load_json(os.path.join(d, job["json"]), "job").get("context", {})
            break
    git = m.get("git", {})
    spec = m.get("spec", {})
    rows = [("host", m.get("host", "?")), ("CPU", m.get("cpu", "not recorded")),
            ("CPUs, MHz", f"{ctx.get('num_cpus', '?')} x {ctx.get('mhz_per_cpu', '?')} MHz"),
            ("topology", ctx.get("kp_topology", "?")),
            ("commit", f"{git.get('commit', '?')}{' (dirty)' if git.get('dirty') else ''}"),
            ("compiler", f"{ctx.get('kp_compiler', '?')} {ctx.get('kp_cflags', '')}"),
            ("variant", f"{ctx.get('kp_variant', '?')} ({ctx.get('kp_config', '')})"),
            ("Google Benchmark", ctx.get("library_build_type", "?") + " library"),
            ("spec", f"{spec.get('path', 'none recorded')} {spec.get('options', '')} "
                     f"(digest {spec.get('digest', '?')}): {spec.get('description', '')}"),
            ("started", m.get("created", "?"))]
    probes = ", ".join(f"{job}: {(s.get('pingpong_ns') or {}).get('before', '?')}"
                       for job, s in m.get("jobs", {}).items())
    rows.append(("ping-pong probe (ns per round trip, before each job)", probes))
    return rows


def table(rows, header=None, numeric=()):
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = " class=\"num\"" if i in numeric else \
                (f" class=\"{verdict_class(cell)}\"" if i == len(row) - 1 and header else "")
            cells.append(f"<td{cls}>{html.escape(str(cell))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(out + ["</table>"])


def run_report(results, plots, name):
    d = run_dir(results, name)
    m = load_json(os.path.join(d, "manifest.json"), name)
    outdir = os.path.join(plots, name)
    os.makedirs(outdir, exist_ok=True)
    body = [f"<h1>kprim benchmark run {html.escape(name)}</h1>",
            "<p>Medians over the repetitions; every ratio is within this run, with its 95 % "
            "interval, and a target is called met or missed only when the interval clears "
            "it.</p>", "<h2>Headline</h2>",
            table(headline_rows(read_csvs(d)), ["measure", "value", "target, interval, verdict"],
                  numeric=(1,)),
            "<h2>Machine</h2>", table(machine_rows(d, m))]
    topo = os.path.join(d, "topology.png")
    if os.path.exists(topo):
        body.append(figure(topo, "The machine as hwloc sees it (lstopo): packages, NUMA "
                                 "nodes, caches and the PUs the placements bind to."))
    spec_text = os.path.join(d, "spec.toml")
    if os.path.exists(spec_text):
        with open(spec_text) as f:
            body += ["<h2>The spec this run swept</h2>", f"<pre>{html.escape(f.read())}</pre>"]
    pngs = sorted(f for f in os.listdir(outdir) if f.endswith(".png"))
    body.append("<h2>Plots</h2>")
    for suite in sorted({caption_suite(p) for p in pngs}):
        body.append(f"<h3>{html.escape(suite)}</h3>")
        body += [figure(os.path.join(outdir, p), caption(p)) for p in pngs
                 if caption_suite(p) == suite]
    path = os.path.join(outdir, "index.html")
    atomic_write(path, page(f"kprim run {name}", "\n".join(body)))
    return path


def caption_suite(png):
    stem = png[:-4]
    return stem.split("_")[0] + ("_mt" if stem.split("_")[1:2] == ["mt"] else "")


def compare_report(outdir, title):
    """index.html beside a comparison's summary.md, its panels embedded."""
    with open(os.path.join(outdir, "summary.md")) as f:
        text = f.read()
    def embed(match):
        png = os.path.join(outdir, match.group(2))
        return f"\n{figure(png, panel_caption(match.group(2)[:-4]))}\n"
    text = re.sub(r"!\[([^]]*)\]\(([^)]+\.png)\)", embed, text)
    body = markdown.markdown(text, extensions=["tables"])
    path = os.path.join(outdir, "index.html")
    atomic_write(path, page(title, body))
    return path


def panel_caption(stem):
    return (f"{stem}: each row is one benchmark, B's median time over A's on a log axis with "
            "its 95 % interval; green rows got significantly faster, red slower, grey did "
            "not change beyond the noise. Rows are sorted, so the largest changes sit at the "
            "two ends.")
