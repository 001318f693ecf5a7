"""Second opinion on the log-rank fixtures: Python lifelines.

R's survdiff only has rho; the fixtures' values for Fleming-Harrington with
gamma != 0, Gehan-Breslow and Tarone-Ware come from the independent R
implementation in validation/r/logrank.R. This script recomputes the
unstratified k-group statistics of every fixture with
lifelines.statistics.multivariate_logrank_test (weightings None, "wilcoxon",
"tarone-ware", "fleming-harrington" with p = rho, q = gamma) and prints the
relative difference of the chi-square and p-value from the fixture.

Not part of the test command (lifelines is not a netra dependency); run
  python3 validation/python/logrank_lifelines.py
Known definitional differences (see docs/algorithms/logrank.md):
  * lifelines does not merge nearly equal times (R's aeqSurv);
  * lifelines keeps groups whose expected count is 0 and always uses
    df = k - 1 with a pseudo-inverse, where survdiff drops such groups;
  * lifelines has no strata for these tests.
"""
import json
import pathlib
import warnings

import numpy as np
from lifelines.statistics import multivariate_logrank_test

warnings.filterwarnings("ignore")
root = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "logrank"

def lifelines_kwargs(test):
    w = test["weights"]
    if w == "logrank":
        return {}
    if w == "gehan-breslow":
        return {"weightings": "wilcoxon"}
    if w == "tarone-ware":
        return {"weightings": "tarone-ware"}
    return {"weightings": "fleming-harrington", "p": test["rho"], "q": test["gamma"]}

worst = 0.0
for path in sorted(root.glob("*.json")):
    if path.name == "p_adjust.json":
        continue
    fx = json.loads(path.read_text())
    if fx["strata"] is not None:
        continue
    t = np.asarray(fx["time"], float)
    e = np.asarray(fx["status"], int)
    g = np.asarray(fx["group"], int)
    for test in fx["tests"]:
        try:
            res = multivariate_logrank_test(t, g, e, **lifelines_kwargs(test))
            chisq, p = float(res.test_statistic), float(res.p_value)
        except Exception as err:  # lifelines asserts on some degenerate inputs
            print(f"{path.stem:28s} {test['weights']:18s} rho={test['rho']:<3} gamma={test['gamma']:<3} lifelines error: {err}")
            continue
        r_chisq, r_p = test["chisq"], test["p"]
        rel = abs(chisq - r_chisq) / abs(r_chisq) if r_chisq else abs(chisq)
        rel_p = abs(p - r_p) / abs(r_p) if r_p else abs(p)
        note = ""
        if rel >= 1e-9:
            note = "  <-- chisq differs"
        elif rel_p >= 1e-9:
            note = f"  <-- p differs: lifelines df = k - 1 = {len(fx['levels']) - 1}, survdiff df = {test['df']}"
        else:
            worst = max(worst, rel, rel_p)
        print(f"{path.stem:28s} {test['weights']:18s} rho={test['rho']:<3} gamma={test['gamma']:<3} "
              f"chisq {r_chisq:.10g} vs {chisq:.10g} (rel {rel:.0e}), p rel {rel_p:.0e}{note}")
print(f"largest relative difference (chisq and p) among agreeing cases: {worst:.1e}")
