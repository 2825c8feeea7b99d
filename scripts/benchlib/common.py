# SPDX-License-Identifier: MIT
"""common.py - what every verb of the benchmark driver shares: paths, the
CSV's fields, the one-line user error, atomic writes and run folders."""

import datetime
import json
import os
import re
import socket
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPARE_PY = "/usr/share/benchmark/compare.py"
SYSTEM_PYTHON = "/usr/bin/python3"   # compare.py needs Debian's scipy
RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CSV_FIELDS = ["suite", "op", "impl", "arg", "placement", "mem", "threads", "real_ns_median",
              "real_ns_stddev", "real_cv", "mops_median", "mops_stddev", "ns_per_item",
              "repetitions", "job", "counters", "samples", "mops_samples"]
# May be empty; counters and the repetitions' samples may be missing (older runs).
OPTIONAL_FIELDS = ("arg", "counters", "samples", "mops_samples")
# Keys of a Google Benchmark result that are not user counters.
GB_KEYS = {"name", "family_index", "per_family_instance_index", "run_name", "run_type",
           "repetitions", "repetition_index", "threads", "iterations", "real_time", "cpu_time",
           "time_unit", "items_per_second", "bytes_per_second", "label", "error_occurred",
           "error_message", "aggregate_name", "aggregate_unit"}


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
