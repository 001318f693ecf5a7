#!/usr/bin/env python3
"""Times lifelines on the benchmark CSV: KaplanMeierFitter per group + multivariate log-rank.

Usage: lifelines_bench.py FILE REPEATS  (prints JSON timings in seconds, best of REPEATS)
"""
import json
import sys
import time
import warnings

import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

warnings.filterwarnings("ignore")


def km_logrank(d: pd.DataFrame) -> None:
    for _, part in d.groupby("group"):
        kmf = KaplanMeierFitter()
        kmf.fit(part["time"], part["status"])
        _ = kmf.median_survival_time_
        _ = kmf.confidence_interval_
    multivariate_logrank_test(d["time"], d["group"], d["status"]).p_value


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
