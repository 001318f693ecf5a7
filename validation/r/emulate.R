# Reference fixtures for clone-censor-weight target-trial emulation
# (netra_stats::emulate). The whole pipeline is written out here in plain
# R, independently of netra, and each weighted statistic is R's own:
# glm(binomial) for the pooled logistic model of deviation, survfit with
# weights on (start, stop] rows clustered by id (robust infinitesimal
# jackknife, influence = TRUE), coxph(weights =, cluster = id) with its
# robust sandwich SE.
# Run from validation/ (generate.sh does): Rscript --vanilla r/emulate.R
#
# The emulation, as netra implements it:
# * Each patient has a follow-up time from time zero and an event flag,
#   and per strategy the time of deviation (NA: never deviates; <= 0: not
#   compatible at time zero, no clone) and the windows [from, to] in which
#   a deviation could happen (the grace periods).
# * Every compatible patient is cloned into the strategy. The clone ends at
#   min(time, deviation); it is artificially censored when deviation < time
#   (a death at the deviation time counts as a death).
# * The clone's follow-up is split on a grid of width `interval`: rows
#   (k*interval, min((k+1)*interval, end)]. A row is "at risk of deviation"
#   when its interval (a, b] meets a window: from <= b and to > a. Its
#   deviation outcome is 1 in the row where the clone is censored.
# * Pooled logistic model per strategy, on the at-risk rows:
#   glm(deviated ~ baseline + time-varying (value at the row's start) +
#   interval start t [+ t^2], binomial).
# * Weight of a row: the inverse probability of remaining uncensored to the
#   end of its interval, prod over the clone's at-risk rows up to and
#   including this one of 1/(1 - p).
# * Stabilised weights: a numerator model on the same rows without the
#   time-varying covariate (stabilize = "baseline": x1 + x2 + time terms;
#   "time": time terms only), fitted q; the weight is the product of
#   (1 - q)/(1 - p).
# * Weighted Kaplan-Meier per strategy on the rows (start, stop], clustered
#   by patient; RMST at tau with the IJ SE from the influence; survival at
#   chosen times; differences (strategy 2 - strategy 1) with the SE from the
#   per-patient difference of influences (a patient's clones are
#   correlated).
# * Weighted Cox: coxph(Surv(start, stop, event) ~ strategy, weights = w,
#   cluster = id), robust SE; the same unweighted (clones censored, w = 1).
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
out_dir <- file.path("fixtures", "emulate")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
unlink(file.path(out_dir, "*.json"))

expit <- function(x) 1 / (1 + exp(-x))

# A small registry: line 1 (drug A or B) starts within 2.5 months of time
# zero (grace 2), the sicker (x1) get B first; at progression, the other
# drug is started, or (the sicker more often) something else.
simulate <- function(n, seed) {
  set.seed(seed)
  x1 <- round(rnorm(n), 3)
  x2 <- rbinom(n, 1, 0.4)
  death <- rexp(n, 0.05 * exp(0.5 * x1))
  cens <- runif(n, 6, 30)
  time <- round(pmin(death, cens), 3)
  event <- as.integer(death <= cens)
  s1 <- round(runif(n, 0, 2.5), 3)
  first_a <- rbinom(n, 1, expit(0.2 - 0.8 * x1)) == 1
  prog <- round(s1 + rexp(n, 1 / (6 * exp(-0.3 * x1))), 3)
  switch_ok <- rbinom(n, 1, expit(1 - 0.7 * x1 - 0.5 * x2)) == 1
  s2 <- round(prog + runif(n, 0.05, 1), 3)
  data.frame(id = seq_len(n), time = time, event = event, x1 = x1, x2 = x2,
             s1 = s1, first_a = first_a, prog = prog, switch_ok = switch_ok, s2 = s2)
}

# Deviation time and windows of strategy "first, then second" (first_is_a).
strategy_of <- function(p, first_is_a, grace = 2) {
  dev <- NA_real_
  windows <- list()
  if (p$s1 >= p$time) {
    # Died or censored before any treatment: compatible, in grace until then.
    windows <- list(c(0, min(p$time, grace)))
    if (p$time > grace) dev <- grace
  } else if (p$s1 > grace) {
    windows <- list(c(0, grace))
    dev <- grace
  } else if (p$first_a != first_is_a) {
    windows <- list(c(0, p$s1))
    dev <- p$s1
  } else {
    windows <- list(c(0, p$s1))
    if (p$prog < p$time) {
      windows[[2]] <- c(p$prog, min(p$s2, p$time))
      if (!p$switch_ok && p$s2 < p$time) dev <- p$s2
    }
  }
  list(deviation = dev, windows = windows)
}

tv_prog <- function(p) if (p$prog < p$time) p$prog else NA_real_

clone_rows <- function(d, strat, arm, interval, max_k = 10000) {
  rows <- list()
  for (i in seq_len(nrow(d))) {
    p <- d[i, ]
    s <- strat[[i]]
    dev <- s$deviation
    if (!is.na(dev) && dev <= 0) next
    censored <- !is.na(dev) && dev < p$time
    end <- if (censored) dev else p$time
    k <- 0
    prog_at <- tv_prog(p)
    while (k * interval < end) {
      a <- k * interval
      b <- min((k + 1) * interval, end)
      last <- b >= end
      meets <- vapply(s$windows, function(w) w[1] <= (k + 1) * interval && w[2] > a, TRUE)
      at_risk <- any(meets)
      window <- if (at_risk) which(meets)[1] else NA
      rows[[length(rows) + 1]] <- data.frame(
        id = p$id, arm = arm, start = a, stop = b,
        event = as.integer(last && !censored && p$event == 1),
        deviated = as.integer(last && censored), at_risk = at_risk, window = window,
        x1 = p$x1, x2 = p$x2,
        progressed = as.numeric(!is.na(prog_at) && prog_at <= a), t = a)
      k <- k + 1
    }
  }
  do.call(rbind, rows)
}

# by_window: one model per window index (columns constant on a window's
# rows are aliased: R's NA, left out by netra; the fitted values agree).
fit_arm <- function(rows, quadratic, by_window = FALSE, stabilize = "none") {
  f <- if (quadratic) deviated ~ x1 + x2 + progressed + t + I(t^2)
       else deviated ~ x1 + x2 + progressed + t
  time_terms <- if (quadratic) "t + I(t^2)" else "t"
  fnum <- switch(stabilize,
                 baseline = as.formula(paste("deviated ~ x1 + x2 +", time_terms)),
                 time = as.formula(paste("deviated ~", time_terms)),
                 NULL)
  p <- rep(0, nrow(rows))
  q <- rep(0, nrow(rows))
  if (by_window) {
    for (w in sort(unique(rows$window[rows$at_risk]))) {
      sel <- rows$at_risk & rows$window == w
      if (sum(rows$deviated[sel]) == 0) next
      m <- glm(f, family = binomial, data = rows[sel, ])
      p[sel] <- fitted(m)
      if (!is.null(fnum)) q[sel] <- fitted(glm(fnum, family = binomial, data = rows[sel, ]))
    }
  } else {
    m <- glm(f, family = binomial, data = rows[rows$at_risk, ])
    p[rows$at_risk] <- fitted(m)
    if (!is.null(fnum)) {
      q[rows$at_risk] <- fitted(glm(fnum, family = binomial, data = rows[rows$at_risk, ]))
    }
  }
  rows$p <- p
  rows$w <- ave(ifelse(rows$at_risk, (1 - q) / (1 - p), 1), rows$id, FUN = cumprod)
  list(rows = rows, model = m)
}

curve <- function(f) {
  keep <- f$n.event > 0
  list(time = f$time[keep], n_risk = f$n.risk[keep], n_event = f$n.event[keep],
       survival = f$surv[keep], std_err = f$std.err[keep],
       lower = f$lower[keep], upper = f$upper[keep])
}

# Influence of each id on RMST(tau) and on S(t) at `times`.
influences <- function(f, ids, tau, times) {
  inf <- f$influence.surv
  rn <- as.integer(rownames(inf))
  if (is.null(rownames(inf))) stop("influence without ids")
  keep <- f$time < tau
  tt <- c(0, f$time[keep], tau)
  widths <- diff(tt)
  s <- c(1, f$surv[keep])
  rm_inf <- cbind(0, inf[, keep, drop = FALSE]) %*% widths
  at <- sapply(times, function(t) { j <- max(c(0, which(f$time <= t))); j })
  s_t <- sapply(at, function(j) if (j == 0) 1 else f$surv[j])
  s_inf <- sapply(at, function(j) if (j == 0) rep(0, nrow(inf)) else inf[, j])
  full_rm <- setNames(rep(0, length(ids)), ids); full_rm[as.character(rn)] <- rm_inf
  full_s <- matrix(0, length(ids), length(times)); rownames(full_s) <- ids
  full_s[as.character(rn), ] <- s_inf
  list(rmst = sum(s * widths), rmst_inf = full_rm, s = s_t, s_inf = full_s)
}

emulate_fixture <- function(name, description, n, seed, interval, tau, times,
                            quadratic = FALSE, by_window = FALSE, stabilize = "none") {
  d <- simulate(n, seed)
  strategies <- list(
    lapply(seq_len(n), function(i) strategy_of(d[i, ], TRUE)),
    lapply(seq_len(n), function(i) strategy_of(d[i, ], FALSE)))
  arms <- lapply(1:2, function(k) fit_arm(clone_rows(d, strategies[[k]], k - 1, interval), quadratic, by_window, stabilize))
  ids <- as.character(d$id)
  per_arm <- lapply(arms, function(a) {
    r <- a$rows
    f <- survfit(Surv(start, stop, event) ~ 1, data = r, weights = w, id = id,
                 influence = TRUE, robust = TRUE)
    inf <- influences(f, ids, tau, times)
    list(fit = f, inf = inf, out = list(
      clones = length(unique(r$id)), rows = nrow(r), at_risk_rows = sum(r$at_risk),
      deviations = sum(r$deviated), events = sum(r$event),
      coefficients = if (by_window) NULL else unname(coef(a$model)),
      se = if (by_window) NULL else unname(sqrt(diag(vcov(a$model)))),
      deviance = if (by_window) NULL else a$model$deviance,
      weights = r$w, row_id = r$id, row_start = r$start, row_stop = r$stop,
      curve = curve(f),
      rmst = inf$rmst, rmst_se = sqrt(sum(inf$rmst_inf^2)),
      survival_at = inf$s, survival_se = sqrt(colSums(inf$s_inf^2))))
  })
  all <- rbind(arms[[1]]$rows, arms[[2]]$rows)
  cox <- coxph(Surv(start, stop, event) ~ arm, data = all, weights = w, cluster = id)
  cox_u <- coxph(Surv(start, stop, event) ~ arm, data = all, cluster = id)
  z <- qnorm(0.975)
  cox_out <- function(m) {
    b <- unname(coef(m)); rse <- sqrt(m$var[1, 1])
    list(coef = b, se = sqrt(m$naive.var[1, 1]), robust_se = rse, hr = exp(b),
         lower = exp(b - z * rse), upper = exp(b + z * rse))
  }
  i0 <- per_arm[[1]]$inf; i1 <- per_arm[[2]]$inf
  rd <- i1$rmst - i0$rmst
  rd_se <- sqrt(sum((i1$rmst_inf - i0$rmst_inf)^2))
  sd <- i1$s - i0$s
  sd_se <- sqrt(colSums((i1$s_inf - i0$s_inf)^2))
  prog_tv <- sapply(seq_len(n), function(i) tv_prog(d[i, ]))
  fixture <- list(
    name = name, description = description,
    input = list(
      time = d$time, event = d$event == 1, x1 = d$x1, x2 = d$x2,
      progressed_at = prog_tv,
      strategies = lapply(strategies, function(s) list(
        deviation = sapply(s, function(x) x$deviation),
        windows = lapply(s, function(x) lapply(x$windows, function(w) w)))),
      interval = interval, tau = tau, times = times, quadratic = quadratic,
      by_window = by_window, stabilize = stabilize),
    expected = list(
      arms = lapply(per_arm, function(a) a$out),
      cox = cox_out(cox), cox_unweighted = cox_out(cox_u),
      rmst_difference = list(estimate = rd, std_err = rd_se),
      survival_difference = list(estimate = sd, std_err = sd_se)))
  write_json(fixture, file.path(out_dir, paste0(name, ".json")), digits = NA,
             auto_unbox = TRUE, na = "null", null = "null")
  cat(name, ": HR", exp(coef(cox)), "\n")
}

emulate_fixture("grace_two_strategies", "A then B vs B then A, grace 2, monthly grid",
                n = 150, seed = 19, interval = 1, tau = 12, times = c(6, 12))
emulate_fixture("coarse_grid_quadratic", "the same registry design on a 3-month grid with t^2",
                n = 120, seed = 7, interval = 3, tau = 18, times = c(3, 9, 24),
                quadratic = TRUE)
emulate_fixture("by_window", "one deviation model per window (starting, switching)",
                n = 200, seed = 3, interval = 1, tau = 12, times = c(6, 12),
                by_window = TRUE)
emulate_fixture("stabilized_baseline",
                "stabilised weights: numerator on x1 + x2 + t, one model per window",
                n = 200, seed = 3, interval = 1, tau = 12, times = c(6, 12),
                by_window = TRUE, stabilize = "baseline")
emulate_fixture("stabilized_time",
                "stabilised weights: numerator on t + t^2, one pooled model per strategy",
                n = 120, seed = 7, interval = 3, tau = 18, times = c(3, 9, 24),
                quadratic = TRUE, stabilize = "time")
