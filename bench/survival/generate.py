#!/usr/bin/env python3
"""Writes a synthetic survival CSV for the benchmarks: time (days), status (1 = death), group.

Three groups whose median overall survival follows the grade-specific medians of the
103-patient retrospective NET cohort (G1 78, G2-3 18, all 29 months); follow-up is censored
administratively at a uniform 0-10 years. Times are whole days, as registries record them.
Usage: generate.py N OUT.csv [SEED]
"""
import sys

import numpy as np

MONTH_DAYS = 30.4375


def main() -> None:
    n = int(float(sys.argv[1]))
    out = sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261122
    rng = np.random.default_rng(seed)
    groups = np.array(["G1", "G2-3", "NEC"])
    g = rng.integers(0, 3, size=n)
    median_months = np.array([78.0, 29.0, 18.0])[g]
    scale_days = median_months * MONTH_DAYS / np.log(2.0)
    death = rng.exponential(scale_days)
    censor = rng.uniform(0.0, 3652.5, size=n)
    time = np.minimum(death, censor)
    status = (death <= censor).astype(np.int8)
    days = np.floor(time).astype(np.int64) + 1
    with open(out, "w") as f:
        f.write("time,status,group\n")
        # Chunked formatting keeps memory flat at 1e7 rows.
        step = 1_000_000
        for start in range(0, n, step):
            stop = min(n, start + step)
            lines = [
                f"{t},{s},{gr}"
                for t, s, gr in zip(
                    days[start:stop].tolist(),
                    status[start:stop].tolist(),
                    groups[g[start:stop]].tolist(),
                )
            ]
            f.write("\n".join(lines))
            f.write("\n")


if __name__ == "__main__":
    main()
