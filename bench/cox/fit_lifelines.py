"""lifelines side of the Cox benchmark: reads the CSV (timed separately), then
times CoxPHFitter().fit (Efron ties, lifelines' only method) from memory.
Usage: python3 fit_lifelines.py FILE.csv"""
import sys
import time
import warnings

import pandas as pd
from lifelines import CoxPHFitter

warnings.simplefilter("ignore")
t0, c0 = time.perf_counter(), time.process_time()
df = pd.read_csv(sys.argv[1])
t_read, c_read = time.perf_counter() - t0, time.process_time() - c0
t0, c0 = time.perf_counter(), time.process_time()
cph = CoxPHFitter().fit(df, duration_col="time", event_col="status")
t_fit, c_fit = time.perf_counter() - t0, time.process_time() - c0
coefs = " ".join(f"{k}={v:.6f}" for k, v in cph.params_.items())
print(f"read_s={t_read:.4f} fit_s={t_fit:.4f} read_cpu_s={c_read:.4f} fit_cpu_s={c_fit:.4f} loglik={cph.log_likelihood_:.6f} "
      f"C={cph.concordance_index_:.6f} {coefs}")
