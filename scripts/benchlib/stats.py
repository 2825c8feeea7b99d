# SPDX-License-Identifier: MIT
"""stats.py - the statistics comparisons and verdicts share: a bootstrap
interval of a ratio of medians and of a geometric mean of such ratios, the
Mann-Whitney U test (SciPy), the geometric mean, and a verdict that calls a target met or missed only when
the interval clears it."""

import math
import re

import numpy
from scipy import stats

BOOTSTRAP = 2000
TARGET = re.compile(r"^\s*(<=|>=)\s*([0-9.]+)x")


def rng():
    """A fixed seed: the same results give the same intervals."""
    return numpy.random.default_rng(17)


def ratio_interval(a, b, generator):
    """95 % bootstrap interval of median(b) / median(a) over the repetitions."""
    a, b = numpy.asarray(a), numpy.asarray(b)
    ra = numpy.median(generator.choice(a, (BOOTSTRAP, len(a))), axis=1)
    rb = numpy.median(generator.choice(b, (BOOTSTRAP, len(b))), axis=1)
    ratios = rb / ra
    return float(numpy.percentile(ratios, 2.5)), float(numpy.percentile(ratios, 97.5))


def geomean_ratio_interval(pairs, generator):
    """95 % bootstrap interval of the geometric mean, over pairs (a, b) of
    repetitions, of median(b) / median(a): each pair resampled on its own."""
    logs = numpy.zeros(BOOTSTRAP)
    for a, b in pairs:
        a, b = numpy.asarray(a), numpy.asarray(b)
        ra = numpy.median(generator.choice(a, (BOOTSTRAP, len(a))), axis=1)
        rb = numpy.median(generator.choice(b, (BOOTSTRAP, len(b))), axis=1)
        logs += numpy.log(rb / ra)
    means = numpy.exp(logs / len(pairs))
    return float(numpy.percentile(means, 2.5)), float(numpy.percentile(means, 97.5))


def u_test(a, b):
    """Two-sided Mann-Whitney U p-value (1 where the samples cannot tell)."""
    if len(a) < 2 or len(b) < 2 or (len(set(a)) == 1 and set(a) == set(b)):
        return 1.0
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def geomean(values):
    """Of the positive values (NaN, zero and missing ones left out); NaN if none."""
    values = [v for v in values if v > 0 and not math.isnan(v)]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def verdict(lo, hi, target):
    """'met', 'missed' or 'within noise' for an interval [lo, hi] against "<= 1.2x"."""
    m = TARGET.match(target or "")
    if not m:
        return ""
    bound = float(m.group(2))
    if m.group(1) == "<=":
        return "met" if hi <= bound else "missed" if lo > bound else "within noise"
    return "met" if lo >= bound else "missed" if hi < bound else "within noise"
