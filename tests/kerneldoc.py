#!/usr/bin/env python3
"""kerneldoc.py - every public function and function-like macro in the headers
a program includes (what `make install` installs) has a kernel-doc comment.

A name counts as documented when a `/** name - summary` block heads it, or
when a kernel-doc block names it as `name(` (a family documented once:
kzalloc_node() beside kzalloc()). Not public: names that start with an
underscore or hold a double one (`refcount__wrap_add`), `*_slowpath`, and
the plumbing listed in INTERNAL. Prints one
line per undocumented name and exits 1 if there is any.
"""
import argparse
import os
import re
import subprocess
import sys

# The documented calls' plumbing: the lock calls' lockdep hooks
# (include/linux/lockdep.h names), the pinned-mutex check, the bodies of
# local_irq_save()/local_irq_restore() and of smutex_trylock().
INTERNAL = {"mutex_acquire", "mutex_release", "mutex_pinned_check", "spin_acquire",
            "spin_release", "smutex_acquire", "smutex_release", "smutex_trylock_raw",
            "nowait_acquire", "nowait_release", "kp_local_irq_save", "kp_local_irq_restore"}
DECL = re.compile(r"^(?:static (?:__always_)?inline )?(?:__cold |__must_check |extern )*"
                  r"[A-Za-z_][\w ]*?[ *]+(\w+)\(", re.M)
MACRO = re.compile(r"^#define (\w+)\(", re.M)


def undocumented(path):
    text = open(path).read()
    blocks = re.findall(r"/\*\*\n(.*?)\*/", text, re.S)
    named = set(re.findall(r"/\*\*\n \* (\w+) - ", text))
    for block in blocks:
        named |= set(re.findall(r"\b(\w+)\(", block))
    code = "\n".join(l for l in text.split("\n") if not l.lstrip().startswith(("*", "/*")))
    for name in DECL.findall(code) + MACRO.findall(code):
        if name.startswith("_") or "__" in name or name.endswith("_slowpath") or name in INTERNAL:
            continue
        if name[0].isupper():		# initializers and constants: DEFINE_MUTEX, KVEC_INIT
            continue
        if name not in named:
            yield name


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("headers", nargs="*",
                    help="headers to check (default: those make install installs)")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    headers = args.headers or [os.path.join(root, h) for h in subprocess.run(
        ["make", "-s", "--no-print-directory", "-C", root, "public-headers"],
        capture_output=True, text=True, check=True).stdout.split()]
    missing = [f"{os.path.relpath(h, root)}: {n}" for h in headers for n in sorted(set(undocumented(h)))]
    for m in missing:
        print(f"no kernel-doc: {m}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
