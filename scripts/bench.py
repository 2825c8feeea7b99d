#!/usr/bin/python3
"""bench.py - kprim's benchmark driver.

  sweep     run a sweep spec (sweeps/*.toml) into results/<run>/ (resumable)
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
up at the first unfinished job. Each verb lives in its own module of
scripts/benchlib/ (sweep, spec, results, plots, compare, headline, smoke).
"""

import argparse
import os
import sys

from benchlib.common import ROOT, Error
from benchlib.compare import cmd_compare
from benchlib.headline import cmd_headline
from benchlib.plots import cmd_plots
from benchlib.smoke import cmd_smoke
from benchlib.sweep import Sweep


# ---- command line ------------------------------------------------------------------

def positive_int(s):
    try:
        v = int(s)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"wants a positive integer, got '{s}'")
    return v


def thread_counts(s):
    """'16' -> 16 (1, 2, 4 .. 16); '1,2,3,6,12' -> [1, 2, 3, 6, 12]."""
    try:
        v = [int(x) for x in s.split(",")]
    except ValueError:
        v = []
    if not v or min(v) < 1:
        raise argparse.ArgumentTypeError(f"wants N or a list of positive counts (1,2,4), got '{s}'")
    return v[0] if len(v) == 1 and "," not in s else sorted(set(v))


def placement_list(s):
    """'compact,scatter,cpus:0-7' -> the list (a cpus: list keeps its own commas)."""
    out = []
    for part in s.split(","):
        if out and out[-1].startswith("cpus:") and part[:1].isdigit():
            out[-1] += "," + part
        elif part:
            out.append(part)
    if not out:
        raise argparse.ArgumentTypeError(f"wants a list of placements, got '{s}'")
    return out


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
        sp.add_argument("--spec", help="the sweep spec, a TOML file (default: "
                        "sweeps/default.toml; README: Sweep specs)")
        sp.add_argument("--run", help="run name (default: date-time-host; same name resumes)")
        sp.add_argument("--allow-spec-change", action="store_true",
                        help="resume a run whose spec changed, re-running the changed jobs")
        sp.add_argument("--build", default=os.path.join(ROOT, "build", "release", "bench"),
                        help="where the benchmark binaries are")
        sp.add_argument("--repetitions", type=positive_int,
                        help="repetitions per benchmark, for every job (default: the spec's)")
        sp.add_argument("--min-time", type=positive_float,
                        help="seconds per repetition, for every job (default: the spec's)")
        sp.add_argument("--mem", choices=["local", "remote", "interleave"],
                        help="memory policy for shared objects, for every job")
        sp.add_argument("--threads", type=thread_counts,
                        help="contended benchmarks run 1, 2, 4 .. N threads, or the counts "
                             "of a list (1,2,4,8,16,32); 2 and 4 times the largest come "
                             "along, oversubscribed (default: the spec's)")
        sp.add_argument("--placements", type=placement_list,
                        help="contended jobs run in each of these placements: compact, "
                             "scatter, cpus:LIST (compact,scatter,cpus:0-7) (default: the "
                             "spec's)")
        sp.add_argument("--jobs", nargs="+", help="only these jobs of the spec")
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
    sp.add_argument("--normalise", action="store_true",
                    help="divide each run by its own calibration (one-RMW floor, ping-pong "
                         "probe) first, and say how much of the change the drift explains")
    sp = sub.add_parser("smoke", help="quick end-to-end check, TAP output (make test)")
    sp.add_argument("--build", default=os.path.join(ROOT, "build", "release", "bench"))
    args = p.parse_args(argv)

    try:
        if args.cmd in ("sweep", "run"):
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
