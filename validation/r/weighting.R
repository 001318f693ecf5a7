# Reference fixtures for point-treatment weighting (netra_stats::weighting)
# and the weighted outcomes built on it: the propensity score by
# glm(binomial), IPTW (ATE, ATT; stabilised; truncated at percentiles),
# overlap weights, weight summaries and Kish's effective sample size,
# standardised mean differences before/after weighting, weighted
# Kaplan-Meier (survfit with weights: robust infinitesimal-jackknife
# variance), RMST at tau (print(fit, rmean = tau)), weighted Cox with the
# robust sandwich variance (coxph(weights = w, robust = TRUE)) and the
# E-value of the hazard ratio.
# Run from validation/ (generate.sh does): Rscript --vanilla r/weighting.R
#
# Every formula is written out here as netra implements it:
# * ATE  w = t/ps + (1-t)/(1-ps); stabilised: numerators mean(t), 1-mean(t)
# * ATT  w = t + (1-t) ps/(1-ps)
# * overlap w = t (1-ps) + (1-t) ps
# * truncation at percentiles (lo, hi): w clipped to quantile(w, c(lo, hi))
#   (type 7, all rows pooled)
# * SMD (cobalt's bal.tab(s.d.denom = "pooled", binary = "std")):
#   (mean_1 - mean_0) / sqrt((s_1^2 + s_0^2)/2), means weighted after
#   weighting, the denominator always from the unweighted sample; s^2 the
#   sample variance (n - 1) for continuous covariates, p(1-p) for binary
#   ones (0/1 columns and each level of a factor).
# * RMST's robust SE: sqrt(sum((influence.surv %*% widths)^2)), the
#   influence of survfit(influence = TRUE) integrated over the steps to tau
# * E-value (VanderWeele & Ding 2017; EValue::evalues.HR): with a common
#   outcome the HR is first turned into an approximate risk ratio
#   RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR)); then
#   E = RR + sqrt(RR (RR - 1)) for RR >= 1 (1/RR below 1); the CI's E-value
#   is that of the limit nearer 1, or 1 when the CI contains 1.
suppressPackageStartupMessages({
  library(survival)
  library(survey)
  library(jsonlite)
})
out_dir <- file.path("fixtures", "weighting")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
unlink(file.path(out_dir, "*.json"))

summ <- function(w) {
  q <- unname(quantile(w, c(0.25, 0.5, 0.75), type = 7))
  list(n = length(w), sum = sum(w), mean = mean(w),
       sd = if (length(w) > 1) sd(w) else NA,
       min = min(w), q25 = q[1], median = q[2], q75 = q[3], max = max(w),
       ess = sum(w)^2 / sum(w^2))
}

evalue_rr <- function(rr) {
  if (rr < 1) rr <- 1 / rr
  rr + sqrt(rr * (rr - 1))
}
evalue_hr <- function(hr, lo, hi, rare) {
  conv <- function(h) if (rare) h else (1 - 0.5^sqrt(h)) / (1 - 0.5^sqrt(1 / h))
  rr <- conv(hr); rlo <- conv(lo); rhi <- conv(hi)
  ci <- if (rlo <= 1 && rhi >= 1) 1 else if (rr > 1) evalue_rr(rlo) else evalue_rr(rhi)
  list(rare = rare, rr = rr, point = evalue_rr(rr), ci = ci)
}

# Balance columns: numeric covariates as they are, factors as one 0/1
# column per level (all levels, in R's level order), named x=LEVEL.
balance_columns <- function(d, covs) {
  out <- list()
  for (v in covs) {
    x <- d[[v]]
    if (is.character(x) || is.factor(x)) {
      lev <- if (is.factor(x)) levels(x) else sort(unique(x))
      for (l in lev) out[[paste0(v, "=", l)]] <- as.numeric(as.character(x) == l)
    } else out[[v]] <- as.numeric(x)
  }
  out
}

smd_of <- function(x, t, w) {
  binary <- all(x %in% c(0, 1))
  x1 <- x[t == 1]; x0 <- x[t == 0]
  v <- if (binary) function(z) mean(z) * (1 - mean(z)) else var
  denom <- sqrt((v(x1) + v(x0)) / 2)
  m1 <- mean(x1); m0 <- mean(x0)
  wm1 <- weighted.mean(x1, w[t == 1]); wm0 <- weighted.mean(x0, w[t == 0])
  # The weighted means are survey's (a check that the formula is the usual one).
  d1 <- svydesign(ids = ~1, weights = ~w, data = data.frame(x = x1, w = w[t == 1]))
  stopifnot(abs(coef(svymean(~x, d1)) - wm1) < 1e-12)
  list(binary = binary, mean_treated = m1, mean_control = m0,
       weighted_mean_treated = wm1, weighted_mean_control = wm0,
       sd_denominator = denom,
       smd_before = (m1 - m0) / denom, smd_after = (wm1 - wm0) / denom)
}

curve_of <- function(fit, k) {
  # As summary.survfit prints the curve (netra's KmCurve::std_err is
  # summary's standard error of S).
  s <- summary(if (is.null(fit$strata)) fit else fit[k], censored = TRUE)
  list(time = s$time, n_risk = s$n.risk, n_event = s$n.event,
       n_censor = s$n.censor, survival = s$surv, std_err = s$std.err,
       lower = s$lower, upper = s$upper)
}

weighting_fixture <- function(name, description, data, treatment, covs, time, event,
                              estimand = "ate", stabilize = FALSE, truncate = NULL,
                              tau, rare = FALSE) {
  used <- unique(c(treatment, covs, time, event))
  d <- data[complete.cases(data[, used]), used, drop = FALSE]
  formula <- paste(covs, collapse = " + ")
  ps_fit <- glm(as.formula(paste(treatment, "~", formula)), family = binomial, data = d)
  ps <- unname(fitted(ps_fit))
  t <- d[[treatment]]
  w <- switch(estimand,
    ate = if (stabilize) t * mean(t) / ps + (1 - t) * (1 - mean(t)) / (1 - ps)
          else t / ps + (1 - t) / (1 - ps),
    att = t + (1 - t) * ps / (1 - ps),
    overlap = t * (1 - ps) + (1 - t) * ps)
  n_truncated <- 0
  if (!is.null(truncate)) {
    lim <- unname(quantile(w, truncate, type = 7))
    n_truncated <- sum(w < lim[1] | w > lim[2])
    w <- pmin(pmax(w, lim[1]), lim[2])
  }
  bal <- balance_columns(d, covs)
  balance <- lapply(names(bal), function(nm) c(list(name = nm), smd_of(bal[[nm]], t, w)))
  d$.w <- w
  d$.t <- t
  km <- survfit(as.formula(sprintf("Surv(%s, %s) ~ .t", time, event)), data = d, weights = .w)
  rm <- summary(km, rmean = tau)$table
  rmst <- lapply(1:2, function(k) list(estimate = unname(rm[k, "rmean"]),
                                      std_err = unname(rm[k, "se(rmean)"])))
  # RMST with the infinitesimal-jackknife SE from survfit's influence.
  rmst_ij <- lapply(0:1, function(g) {
    f <- survfit(as.formula(sprintf("Surv(%s, %s) ~ 1", time, event)),
                 data = d[d$.t == g, ], weights = .w, influence = TRUE)
    keep <- f$time < tau
    tt <- c(0, f$time[keep], tau)
    widths <- diff(tt)
    s <- c(1, f$surv[keep])
    infl <- cbind(0, f$influence.surv[, keep, drop = FALSE])
    list(estimate = sum(s * widths), std_err = sqrt(sum((infl %*% widths)^2)))
  })
  cox <- coxph(as.formula(sprintf("Surv(%s, %s) ~ .t", time, event)), data = d,
               weights = .w, robust = TRUE)
  b <- unname(coef(cox)); rse <- sqrt(cox$var[1, 1]); se <- sqrt(cox$naive.var[1, 1])
  hr <- exp(b); lo <- exp(b - qnorm(0.975) * rse); hi <- exp(b + qnorm(0.975) * rse)
  naive <- coxph(as.formula(sprintf("Surv(%s, %s) ~ .t", time, event)), data = d)
  cols <- lapply(d[used], function(v) if (is.factor(v)) as.character(v) else v)
  expected <- list(
    ps_coefficients = unname(coef(ps_fit)), ps = ps, weights = w,
    n_truncated = n_truncated,
    summary_treated = summ(w[t == 1]), summary_control = summ(w[t == 0]),
    summary_all = summ(w),
    balance = balance,
    km_control = curve_of(km, 1), km_treated = curve_of(km, 2),
    rmst_control = rmst[[1]], rmst_treated = rmst[[2]],
    rmst_ij_control = rmst_ij[[1]], rmst_ij_treated = rmst_ij[[2]],
    cox = list(coef = b, se = se, robust_se = rse, hr = hr, hr_lower = lo, hr_upper = hi,
               p = 2 * pnorm(-abs(b / rse))),
    naive_cox = list(coef = unname(coef(naive)), se = sqrt(naive$var[1, 1]),
                     hr = exp(unname(coef(naive)))),
    evalue = evalue_hr(hr, lo, hi, rare))
  input <- list(columns = cols, treatment = treatment, formula = formula, time = time,
                event = event, estimand = estimand, stabilize = stabilize,
                truncate = if (is.null(truncate)) NA else truncate, tau = tau, rare = rare)
  write_json(list(name = name, description = description, input = input, expected = expected),
             file.path(out_dir, paste0(name, ".json")),
             digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE)
  cat(sprintf("%-28s n=%4d HR %.3f (naive %.3f) ESS %.1f/%.1f\n", name, nrow(d), hr,
              exp(coef(naive)), summ(w[t == 1])$ess, summ(w[t == 0])$ess))
}

# ---- data ------------------------------------------------------------------
rot <- rotterdam
rot$size <- as.character(rot$size)
rot$dyears <- rot$dtime / 365.25
# A random 600 keeps the fixture small; the whole set runs the same code.
set.seed(1919)
rot6 <- rot[sort(sample(nrow(rot), 600)), ]

col <- subset(colon, etype == 2)
col$treated <- as.integer(col$rx == "Lev+5FU")
col$differ <- as.character(col$differ)

covs_rot <- c("age", "meno", "size", "grade", "nodes", "hormon")
weighting_fixture("rotterdam_ate", "rotterdam (600): chemo, ATE", rot6, "chemo",
                  covs_rot, "dyears", "death", tau = 10)
weighting_fixture("rotterdam_ate_stabilised_truncated",
                  "rotterdam (600): chemo, stabilised ATE truncated at 1%/99%", rot6, "chemo",
                  covs_rot, "dyears", "death", stabilize = TRUE, truncate = c(0.01, 0.99),
                  tau = 10)
weighting_fixture("rotterdam_att", "rotterdam (600): chemo, ATT", rot6, "chemo",
                  covs_rot, "dyears", "death", estimand = "att", tau = 8, rare = TRUE)
weighting_fixture("rotterdam_overlap", "rotterdam (600): chemo, overlap weights", rot6,
                  "chemo", covs_rot, "dyears", "death", estimand = "overlap", tau = 10)
weighting_fixture("colon_ate_truncated", "colon deaths: Lev+5FU vs the rest, ATE truncated 5%/95%",
                  col, "treated", c("age", "sex", "differ", "nodes", "extent", "obstruct"),
                  "time", "status", truncate = c(0.05, 0.95), tau = 1500)
