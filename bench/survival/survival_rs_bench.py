#!/usr/bin/env python3
"""Times the Rust `survival` crate (its Python bindings, PyPI package `survival`) on the
benchmark CSV: survfit by group + medians with CIs + survdiff, as R's script does.

Usage: survival_rs_bench.py FILE REPEATS  (prints JSON timings in seconds, best of REPEATS;
`*_cpu` fields are the process CPU time of the same best run)
"""
import json
import sys
import time

import pandas as pd
import survival


def km_logrank(d: pd.DataFrame) -> float:
    fit = survival.survfit("Surv(time, status) ~ group", data=d)
    _ = survival.quantile(fit, 0.5)
    return survival.survdiff("Surv(time, status) ~ group", data=d).chisq


def main() -> None:
    path, repeats = sys.argv[1], int(sys.argv[2])
    c0, t0 = time.process_time(), time.perf_counter()
    d = pd.read_csv(path)
    read, read_cpu = time.perf_counter() - t0, time.process_time() - c0
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        km_logrank(d)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    print(json.dumps({"read_csv": round(read, 4), "km_logrank": round(best, 4),
                      "read_csv_cpu": round(read_cpu, 4), "km_logrank_cpu": round(best_cpu, 4)}))


if __name__ == "__main__":
    main()
