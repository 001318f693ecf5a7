#!/usr/bin/env python3
"""Cox regression benchmark: netra vs R survival::coxph vs lifelines.CoxPHFitter.

    python3 bench/cox/run.py                      # n = 1e5, 1e6, 1e7
    python3 bench/cox/run.py --sizes 1e5,1e6      # fewer sizes
    python3 bench/cox/run.py --timeout 600        # per R / lifelines run

Same generated data for every tool (bench/cox/generate.py: six covariates,
event times in whole days, ~50% censored), Efron ties everywhere. Timed:
* netra fit      — coxph() from columns in memory (release build, best of 3;
                   1 run at 1e7), includes the concordance as R's coxph does;
* netra CLI      — the whole `netra cox` command: CSV parsing, the fit, JSON;
* R coxph        — system.time(coxph(...)) after read.csv (read timed apart);
* lifelines fit  — CoxPHFitter().fit after pandas.read_csv (lifelines computes
                   its concordance lazily, after the fit, so it is not timed).
Prints a Markdown table with the ratios. R and lifelines runs longer than
--timeout are reported as skipped.
"""
import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
FORMULA = "age + ki67 + size + liver + male + grade"


def fields(text):
    return dict(re.findall(r"(\w+)=([-\w.+]+)", text))


def run(cmd, timeout=None):
    t0 = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None, None
    except subprocess.CalledProcessError as e:
        print(f"  failed: {' '.join(map(str, cmd))}\n{e.stderr}", file=sys.stderr)
        return None, None
    return out.stdout, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1e5,1e6,1e7")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--data-dir", default=os.environ.get("NETRA_BENCH_DIR", "/tmp/netra-bench-cox"))
    args = ap.parse_args()
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)

    print("building release binaries ...", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "netra-cli"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "netra-stats", "--example", "cox_bench"],
                   cwd=ROOT, check=True)
    netra = ROOT / "target/release/netra"
    bench = ROOT / "target/release/examples/cox_bench"

    rows = []
    for size in args.sizes.split(","):
        n = int(float(size))
        csv = data_dir / f"cox_{n}.csv"
        if not csv.exists():
            print(f"generating {csv} ...", file=sys.stderr)
            subprocess.run([sys.executable, HERE / "generate.py", str(n), csv], check=True)
        print(f"n = {n}: netra ...", file=sys.stderr)
        out, _ = run([bench, csv, "3" if n <= 1_000_000 else "1"])
        nf = fields(out)
        cli_best = None
        for _ in range(3 if n <= 1_000_000 else 1):
            _, t = run([netra, "cox", "--data", csv, "--time", "time", "--event", "status",
                        "--formula", FORMULA, "--format", "json"])
            cli_best = t if cli_best is None else min(cli_best, t)
        print(f"n = {n}: R ...", file=sys.stderr)
        out, _ = run(["Rscript", "--vanilla", HERE / "fit.R", csv], timeout=args.timeout)
        rf = fields(out) if out else None
        print(f"n = {n}: lifelines ...", file=sys.stderr)
        out, _ = run([sys.executable, HERE / "fit_lifelines.py", csv], timeout=args.timeout)
        lf = fields(out) if out else None
        # Agreement of the estimates (printed to 6 decimals).
        if rf:
            diffs = [abs(float(nf[k]) - float(rf[k])) for k in FORMULA.split(" + ")]
            print(f"  max |netra - R| over coefficients: {max(diffs):.1e}", file=sys.stderr)
        rows.append((n, nf, cli_best, rf, lf))

    def s(v):
        return "skipped" if v is None else f"{float(v):.3f} s"

    def ratio(a, b):
        return "–" if a is None or b is None else f"{float(a) / float(b):.1f}×"

    print("\n| n | netra fit | netra CLI (CSV → JSON) | R coxph | R read.csv | lifelines fit "
          "| R / netra | lifelines / netra | netra fit memory beyond input |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, nf, cli, rf, lf in rows:
        r_fit = rf["fit_s"] if rf else None
        r_read = rf["read_s"] if rf else None
        l_fit = lf["fit_s"] if lf else None
        mem = f"{float(nf['fit_extra_mb']):.0f} MB ({float(nf['fit_extra_mb']) / float(nf['input_mb']):.2f}× input)"
        print(f"| {n:.0e} | {s(nf['fit_s'])} | {s(cli)} | {s(r_fit)} | {s(r_read)} | {s(l_fit)} "
              f"| {ratio(r_fit, nf['fit_s'])} | {ratio(l_fit, nf['fit_s'])} | {mem} |")


if __name__ == "__main__":
    main()
