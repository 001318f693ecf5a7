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
Wall and CPU time (user + system, all threads) of each. Prints a Markdown
table with the ratios; --netra/--bench compare other binaries (e.g. a build
before a change) with --no-build. R and lifelines runs longer than
--timeout are reported as skipped.
"""
import argparse
import os
import re
import resource
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
    """Runs cmd; returns (stdout, wall seconds, CPU seconds of the child)."""
    t0 = time.perf_counter()
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None, None, None
    except subprocess.CalledProcessError as e:
        print(f"  failed: {' '.join(map(str, cmd))}\n{e.stderr}", file=sys.stderr)
        return None, None, None
    wall = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    return out.stdout, wall, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1e5,1e6,1e7")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--data-dir", default=os.environ.get("NETRA_BENCH_DIR", "/tmp/netra-bench-cox"))
    ap.add_argument("--no-build", action="store_true", help="use the binaries as they are")
    ap.add_argument("--netra", help="the netra binary (default: target/release/netra)")
    ap.add_argument("--bench", help="the cox_bench binary (default: target/release/examples/cox_bench)")
    args = ap.parse_args()
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)

    if not args.no_build:
        print("building release binaries ...", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "netra-cli"], cwd=ROOT, check=True)
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "netra-stats", "--example", "cox_bench"],
                       cwd=ROOT, check=True)
    netra = Path(args.netra) if args.netra else ROOT / "target/release/netra"
    bench = Path(args.bench) if args.bench else ROOT / "target/release/examples/cox_bench"

    rows = []
    for size in args.sizes.split(","):
        n = int(float(size))
        csv = data_dir / f"cox_{n}.csv"
        if not csv.exists():
            print(f"generating {csv} ...", file=sys.stderr)
            subprocess.run([sys.executable, HERE / "generate.py", str(n), csv], check=True)
        print(f"n = {n}: netra ...", file=sys.stderr)
        out, _, _ = run([bench, csv, "3" if n <= 1_000_000 else "1"])
        nf = fields(out)
        cli = (None, None)
        for _ in range(3 if n <= 1_000_000 else 1):
            _, t, c = run([netra, "cox", "--data", csv, "--time", "time", "--event", "status",
                           "--formula", FORMULA, "--format", "json"])
            if t is not None and (cli[0] is None or t < cli[0]):
                cli = (t, c)
        print(f"n = {n}: R ...", file=sys.stderr)
        out, _, _ = run(["Rscript", "--vanilla", HERE / "fit.R", csv], timeout=args.timeout)
        rf = fields(out) if out else None
        print(f"n = {n}: lifelines ...", file=sys.stderr)
        out, _, _ = run([sys.executable, HERE / "fit_lifelines.py", csv], timeout=args.timeout)
        lf = fields(out) if out else None
        # Agreement of the estimates (printed to 6 decimals).
        if rf:
            diffs = [abs(float(nf[k]) - float(rf[k])) for k in FORMULA.split(" + ")]
            print(f"  max |netra - R| over coefficients: {max(diffs):.1e}", file=sys.stderr)
        rows.append((n, nf, cli, rf, lf))

    def s(v):
        return "skipped" if v is None else f"{float(v):.3f}"

    def pair(a, b):
        return f"{s(a)} / {s(b)} s"

    def ratio(a, b):
        return "–" if a is None or b is None else f"{float(a) / float(b):.1f}×"

    def both(a, b):
        """The ratio a/b of wall and of CPU times (key: which field)."""
        return f"{ratio(a[0], b[0])} / {ratio(a[1], b[1])}"

    def total(f, a, b):
        return None if f is None else float(f[a]) + float(f[b])

    print("\nTimes are wall / CPU (user + system, all threads); ratios likewise.\n")
    print("| n | netra fit | netra CLI (CSV → JSON) | R coxph | R read.csv + coxph | lifelines fit "
          "| lifelines read_csv + fit | R / netra fit | R read+fit / netra CLI "
          "| lifelines / netra fit | lifelines read+fit / netra CLI | netra fit memory beyond input |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, nf, cli, rf, lf in rows:
        net = (nf["fit_s"], nf.get("fit_cpu_s"))
        r_fit = (rf["fit_s"], rf["fit_cpu_s"]) if rf else (None, None)
        r_all = (total(rf, "read_s", "fit_s"), total(rf, "read_cpu_s", "fit_cpu_s"))
        l_fit = (lf["fit_s"], lf["fit_cpu_s"]) if lf else (None, None)
        l_all = (total(lf, "read_s", "fit_s"), total(lf, "read_cpu_s", "fit_cpu_s"))
        mem = f"{float(nf['fit_extra_mb']):.0f} MB ({float(nf['fit_extra_mb']) / float(nf['input_mb']):.2f}× input)"
        print(f"| {n:.0e} | {pair(*net)} | {pair(*cli)} | {pair(*r_fit)} | {pair(*r_all)} "
              f"| {pair(*l_fit)} | {pair(*l_all)} | {both(r_fit, net)} | {both(r_all, cli)} "
              f"| {both(l_fit, net)} | {both(l_all, cli)} | {mem} |")


if __name__ == "__main__":
    main()
