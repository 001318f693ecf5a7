#!/usr/bin/env python3
"""Writes the Cox benchmark data: n rows, six covariates (three continuous,
two binary, one 4-level code used as numeric), exponential event times with
true log hazard ratios, independent censoring, times in whole days (so there
are tied event times, as in registry data). Deterministic for a given n."""
import sys

import numpy as np

n = int(float(sys.argv[1]))
out = sys.argv[2]
rng = np.random.default_rng(20240611 + n)
age = rng.normal(62, 11, n).round(1)
ki67 = rng.lognormal(1.5, 0.8, n).round(2)
size = rng.gamma(2.0, 15.0, n).round(1)
liver = rng.binomial(1, 0.45, n)
male = rng.binomial(1, 0.5, n)
grade = rng.integers(1, 5, n)
lp = (0.02 * (age - 62) + 0.15 * np.log(ki67) + 0.004 * size + 0.5 * liver
      + 0.1 * male + 0.25 * (grade - 2.5))
t_event = rng.exponential(1.0, n) / (0.0008 * np.exp(lp))
t_cens = rng.uniform(30, 3000, n)
time = np.ceil(np.minimum(t_event, t_cens)).astype(np.int64)
status = (t_event <= t_cens).astype(np.int64)
with open(out, "w") as f:
    f.write("time,status,age,ki67,size,liver,male,grade\n")
    block = 200_000
    for s in range(0, n, block):
        e = min(n, s + block)
        lines = [
            f"{t},{st},{a},{k},{z},{l},{m},{g}"
            for t, st, a, k, z, l, m, g in zip(time[s:e], status[s:e], age[s:e], ki67[s:e],
                                               size[s:e], liver[s:e], male[s:e], grade[s:e])
        ]
        f.write("\n".join(lines) + "\n")
