# SPDX-License-Identifier: MIT
"""compare.py - run B against run A: a ratio plot and Google Benchmark's
compare.py per job."""

import os
import subprocess
import sys

from .common import COMPARE_PY, SYSTEM_PYTHON, Error, atomic_write, load_json, run_dir
from .plots import gnuplot
from .results import rows_from_json

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
