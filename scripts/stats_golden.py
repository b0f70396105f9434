#!/usr/bin/env python3
"""Prints the SciPy reference values that Tests/EvaluationTests/StatisticsTests.swift hard-codes.

    python3 scripts/stats_golden.py

(The tests do not need SciPy; rerun this and compare if the statistics code changes.)"""
from scipy import stats
import numpy as np

for df in [1, 2, 4, 9, 29, 100]:
    print(f"t.ppf(0.975, {df}) = {stats.t.ppf(0.975, df):.10f}")
for t, df in [(2.0, 4), (0.5, 9), (3.3, 2), (-1.2, 29)]:
    print(f"two-sided p(t={t}, df={df}) = {2 * stats.t.sf(abs(t), df):.10f}")
a = np.array([0.61, 0.58, 0.66, 0.63, 0.60])
b = np.array([0.52, 0.55, 0.57, 0.50, 0.56])
r = stats.ttest_rel(a, b)
d = a - b
ci = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
print(f"paired: mean diff {d.mean():.10f} t {r.statistic:.10f} p {r.pvalue:.10f} ci {ci[0]:.10f} {ci[1]:.10f}")
m = stats.t.interval(0.95, len(a) - 1, loc=a.mean(), scale=stats.sem(a))
print(f"mean ci of a: {a.mean():.10f} {m[0]:.10f} {m[1]:.10f}")

# Paired differences that tie up to rounding (0.007 twice): SciPy returns a huge t and p ~ 1e-15, an overstatement
# that Statistics.paired refuses (no p; the exact sign-flip test, whose floor is 2/2^n, is used instead).
with np.errstate(all="ignore"):
    tie = stats.ttest_rel([0.10, 0.20], [0.107, 0.207])
print(f"SciPy on tied differences (overstates): t {tie.statistic} p {tie.pvalue}")
for n in [1, 2, 3, 5, 6]:
    print(f"sign-flip floor n={n}: {min(1, 2 / 2**n):.10f}")

# Seeds a decisive interval needs: the smallest n >= 2 with t.ppf(0.975, n-1) * sd / sqrt(n) < |mean - target|.
def seeds_to_exclude(target, mean, sd):
    n = 2
    while stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) >= abs(mean - target):
        n += 1
    return n
for target, mean, sd in [(0, 1.0, 1.0), (0, 0.076, 0.0410), (0.05, 0.01, 0.02), (0, 0.022, 0.0197)]:
    print(f"seeds to exclude {target} (mean {mean}, sd {sd}): {seeds_to_exclude(target, mean, sd)}")
