# Reference fixtures for the log-rank family (netra-stats `logrank`, `multiple`).
#
# Writes validation/fixtures/logrank/*.json. Each fixture holds the input
# (time, 0/1 status, 1-based group codes with their levels, optional strata
# codes) and, for several weightings, every output netra reports:
#   n, observed and expected per group (summed over strata and per stratum),
#   the k x k variance matrix, chisq, df, p, the test for trend, and all
#   pairwise two-group tests with p.adjust (holm, bonferroni, BH).
#
# Sources of the reference numbers:
#   * rho-only weights (log-rank, Fleming-Harrington G(rho, 0)): survival::survdiff
#     itself, so netra is checked against R's own code.
#   * gamma != 0, Gehan-Breslow (weight n at risk) and Tarone-Ware (sqrt n):
#     survdiff cannot compute them, so `indep_survdiff` below is a deliberately
#     plain, loop-per-event-time implementation of the same definitions. It is
#     first checked against survdiff on every rho-only case (stopifnot below),
#     which pins down its conventions (left-continuous pooled KM per stratum,
#     aeqSurv time fixing, the variance, and survdiff's chisq with groups of
#     zero expected dropped).
#   * trend: computed here from survdiff's obs, exp, var (or the independent
#     ones): U = c'(O - E), chisq = U^2 / (c' V c), 1 df.
#   * pairwise: survdiff (or indep_survdiff) on the rows of each pair, with
#     the same strata and weights; p adjusted by stats::p.adjust.
#
# Run: Rscript --vanilla validation/r/logrank.R  (from the repository root or
# from validation/; R 4.2.2, survival 3.5.3).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

here <- if (file.exists("validation/r/logrank.R")) "validation" else "."
out_dir <- file.path(here, "fixtures", "logrank")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

write_fixture <- function(x, name) {
  write_json(x, file.path(out_dir, paste0(name, ".json")),
             digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE)
}

rows_of <- function(m) lapply(seq_len(nrow(m)), function(i) unname(m[i, ]))

# survdiff's chisq from summed O, E and V: groups with E > 0 only, the first
# of them dropped, solve().
survdiff_chisq <- function(otmp, etmp, var) {
  keep <- etmp > 0
  if (sum(keep) < 2) {
    chi <- 0
  } else {
    temp2 <- ((otmp - etmp)[keep])[-1]
    vv <- (var[keep, keep])[-1, -1, drop = FALSE]
    chi <- sum(solve(vv, temp2) * temp2)
  }
  df <- sum(keep) - 1
  list(chisq = chi, df = df,
       p = suppressWarnings(pchisq(chi, df, lower.tail = FALSE)))
}

# Straightforward weighted k-sample test, one event time at a time.
# weight(S_minus, n_at_risk) gives the weight at an event time from the pooled
# left-continuous Kaplan-Meier of the stratum and the pooled number at risk.
indep_survdiff <- function(time, status, group, k, strata, weight) {
  y <- aeqSurv(Surv(time, status))
  time <- y[, 1]
  status <- y[, 2]
  slev <- sort(unique(strata))
  O <- matrix(0, k, length(slev))
  E <- matrix(0, k, length(slev))
  V <- matrix(0, k, k)
  for (si in seq_along(slev)) {
    idx <- strata == slev[si]
    t <- time[idx]; d <- status[idx]; g <- group[idx]
    S <- 1
    for (tt in sort(unique(t[d == 1]))) {
      at_risk <- t >= tt
      n <- sum(at_risk)
      dead <- t == tt & d == 1
      dd <- sum(dead)
      nk <- tabulate(g[at_risk], k)
      dk <- tabulate(g[dead], k)
      w <- weight(S, n)
      O[, si] <- O[, si] + w * dk
      E[, si] <- E[, si] + w * dd * nk / n
      if (n > 1) {
        V <- V + w^2 * dd * (n - dd) / (n - 1) * (diag(nk / n, k) - outer(nk, nk) / n^2)
      }
      S <- S * (n - dd) / n
    }
  }
  c(list(obs = O, exp = E, var = V), survdiff_chisq(rowSums(O), rowSums(E), V))
}

weightings <- list(
  list(weights = "logrank", rho = 0, gamma = 0),
  list(weights = "fleming-harrington", rho = 1, gamma = 0),
  list(weights = "fleming-harrington", rho = 0.5, gamma = 0),
  list(weights = "fleming-harrington", rho = 0, gamma = 1),
  list(weights = "fleming-harrington", rho = 1, gamma = 1),
  list(weights = "fleming-harrington", rho = 0.5, gamma = 2),
  list(weights = "gehan-breslow", rho = 0, gamma = 0),
  list(weights = "tarone-ware", rho = 0, gamma = 0)
)

weight_fun <- function(w) {
  switch(w$weights,
         "logrank" = function(S, n) 1,
         "fleming-harrington" = function(S, n) S^w$rho * (1 - S)^w$gamma,
         "gehan-breslow" = function(S, n) n,
         "tarone-ware" = function(S, n) sqrt(n))
}

# One test on the given rows: survdiff when it can compute it, else the
# independent implementation. Returns obs/exp as k x nstrata matrices.
one_test <- function(time, status, group, k, strata, w) {
  via_survdiff <- w$weights == "logrank" ||
    (w$weights == "fleming-harrington" && w$gamma == 0)
  ind <- indep_survdiff(time, status, group, k, strata, weight_fun(w))
  if (!via_survdiff) return(c(ind, source = "independent R implementation"))
  g <- factor(group, levels = seq_len(k))
  present <- sort(unique(group))
  g <- droplevels(g)
  st <- factor(strata)
  fit <- suppressWarnings(if (nlevels(st) > 1) {
    survdiff(Surv(time, status) ~ g + strata(st), rho = w$rho)
  } else {
    survdiff(Surv(time, status) ~ g, rho = w$rho)
  })
  # Expand to all k groups (a pair uses two of them).
  ns <- nlevels(st)
  O <- matrix(0, k, ns); E <- matrix(0, k, ns); V <- matrix(0, k, k)
  O[present, ] <- matrix(fit$obs, length(present), ns)
  E[present, ] <- matrix(fit$exp, length(present), ns)
  V[present, present] <- fit$var
  res <- list(obs = O, exp = E, var = V, chisq = fit$chisq,
              df = sum(rowSums(E) > 0) - 1,
              p = suppressWarnings(pchisq(fit$chisq, sum(rowSums(E) > 0) - 1,
                                          lower.tail = FALSE)),
              source = "survival::survdiff")
  # The independent implementation must reproduce survdiff exactly.
  stopifnot(isTRUE(all.equal(res$obs, ind$obs, tolerance = 1e-12)),
            isTRUE(all.equal(res$exp, ind$exp, tolerance = 1e-12)),
            isTRUE(all.equal(res$var, ind$var, tolerance = 1e-12)),
            isTRUE(all.equal(res$chisq, ind$chisq, tolerance = 1e-11)),
            res$df == ind$df)
  res
}

trend_of <- function(res, scores) {
  u <- sum(scores * (rowSums(res$obs) - rowSums(res$exp)))
  v <- drop(t(scores) %*% res$var %*% scores)
  chisq <- u^2 / v
  list(scores = scores, u = u, var = v, chisq = chisq, df = 1,
       p = pchisq(chisq, 1, lower.tail = FALSE))
}

# Builds and writes one fixture. `group` is any vector (numeric or text);
# its levels are R's factor levels (sorted); scores are the numeric values
# when the group is numeric, else 1..k.
make_fixture <- function(name, description, time, status, group, strata = NULL,
                         strata_name = NULL) {
  stopifnot(all(status %in% c(0, 1)))
  gf <- factor(group)
  levels <- levels(gf)
  k <- length(levels)
  code <- as.integer(gf)
  scores <- if (is.numeric(group)) as.numeric(levels) else seq_len(k)
  scode <- if (is.null(strata)) rep(1L, length(time)) else as.integer(factor(strata))
  tests <- lapply(weightings, function(w) {
    res <- one_test(time, status, code, k, scode, w)
    pairs <- list()
    praw <- c()
    if (k >= 2) for (a in 1:(k - 1)) for (b in (a + 1):k) {
      idx <- code %in% c(a, b)
      pr <- one_test(time[idx], status[idx], code[idx], k, scode[idx], w)
      p <- if (sum(rowSums(pr$exp) > 0) == 0) NA else pr$p
      praw <- c(praw, p)
      pairs[[length(pairs) + 1]] <- list(group1 = levels[a], group2 = levels[b],
                                         chisq = pr$chisq, df = max(pr$df, 0), p = p,
                                         observed = rowSums(pr$obs)[c(a, b)],
                                         expected = rowSums(pr$exp)[c(a, b)])
    }
    list(
      weights = w$weights, rho = w$rho, gamma = w$gamma, source = res$source,
      n = as.integer(tabulate(code, k)),
      events = as.integer(tabulate(code[status == 1], k)),
      observed = rowSums(res$obs), expected = rowSums(res$exp),
      observed_strata = lapply(seq_len(ncol(res$obs)), function(j) res$obs[, j]),
      expected_strata = lapply(seq_len(ncol(res$exp)), function(j) res$exp[, j]),
      var = rows_of(res$var),
      chisq = res$chisq, df = res$df, p = res$p,
      trend = trend_of(res, scores),
      pairwise = pairs,
      p_adjust = list(holm = p.adjust(praw, "holm"),
                      bonferroni = p.adjust(praw, "bonferroni"),
                      BH = p.adjust(praw, "BH"))
    )
  })
  write_fixture(list(
    name = name, description = description,
    r_version = R.version.string,
    survival_version = as.character(packageVersion("survival")),
    time = time, status = as.integer(status),
    group = code, levels = levels, group_is_numeric = is.numeric(group),
    scores = scores,
    strata = if (is.null(strata)) NA else scode,
    strata_levels = if (is.null(strata)) NA else levels(factor(strata)),
    strata_name = if (is.null(strata_name)) NA else strata_name,
    tests = tests
  ), name)
  invisible(NULL)
}

# ---- R's datasets -------------------------------------------------------
lung2 <- lung[!is.na(lung$ph.ecog), ]
make_fixture("lung_sex", "lung: survdiff(Surv(time, status) ~ sex)",
             lung$time, lung$status - 1, lung$sex)
make_fixture("lung_ecog", "lung: ph.ecog (0-3, one subject with 3) as k groups; NA row dropped",
             lung2$time, lung2$status - 1, lung2$ph.ecog)
make_fixture("lung_ecog_strata_sex", "lung: ph.ecog + strata(sex)",
             lung2$time, lung2$status - 1, lung2$ph.ecog, lung2$sex, "sex")

make_fixture("veteran_trt", "veteran: trt", veteran$time, veteran$status, veteran$trt)
make_fixture("veteran_celltype", "veteran: celltype (4 levels, text)",
             veteran$time, veteran$status, as.character(veteran$celltype))
make_fixture("veteran_trt_strata_celltype", "veteran: trt + strata(celltype)",
             veteran$time, veteran$status, veteran$trt,
             as.character(veteran$celltype), "celltype")

make_fixture("ovarian_rx", "ovarian: rx", ovarian$futime, ovarian$fustat, ovarian$rx)
make_fixture("ovarian_rx_strata_resid", "ovarian: rx + strata(resid.ds)",
             ovarian$futime, ovarian$fustat, ovarian$rx, ovarian$resid.ds, "resid.ds")

colon_d <- colon[colon$etype == 2, ]
make_fixture("colon_rx", "colon (death rows, etype == 2): rx (Obs, Lev, Lev+5FU)",
             colon_d$time, colon_d$status, as.character(colon_d$rx))
make_fixture("colon_rx_strata_sex", "colon (death rows): rx + strata(sex)",
             colon_d$time, colon_d$status, as.character(colon_d$rx), colon_d$sex, "sex")

pbc_t <- pbc[!is.na(pbc$trt), ]
make_fixture("pbc_trt", "pbc (rows with trt): trt, death (status 2) as the event",
             pbc_t$time, as.integer(pbc_t$status == 2), pbc_t$trt)
make_fixture("pbc_stage", "pbc (rows with trt): histologic stage 1-4 (trend)",
             pbc_t$time, as.integer(pbc_t$status == 2), pbc_t$stage)
make_fixture("pbc_stage_strata_trt", "pbc (rows with trt): stage + strata(trt)",
             pbc_t$time, as.integer(pbc_t$status == 2), pbc_t$stage, pbc_t$trt, "trt")

# ---- edge cases ---------------------------------------------------------
make_fixture("edge_ties", "events and censorings tied at the same times across groups",
             c(2, 2, 2, 2, 3, 3, 5, 5, 5, 8, 8, 8, 9, 9),
             c(1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1),
             c("a", "b", "b", "a", "a", "b", "a", "b", "b", "a", "b", "b", "a", "a"))
make_fixture("edge_zero_events_group", "group c has subjects at risk but zero events",
             c(1, 3, 4, 6, 7, 2, 5, 8, 9, 3.5, 6.5, 10),
             c(1, 1, 0, 1, 1, 1, 1, 0, 1, 0, 0, 0),
             c("a", "a", "a", "a", "a", "b", "b", "b", "b", "c", "c", "c"))
make_fixture("edge_group_never_at_risk",
             "group c censored before the first event: expected 0, excluded from df as survdiff does",
             c(5, 6, 7, 8, 5.5, 9, 1, 2),
             c(1, 1, 0, 1, 1, 1, 0, 0),
             c("a", "a", "a", "a", "b", "b", "c", "c"))
make_fixture("edge_one_group_with_risk",
             "group b censored before any event: only one group has E > 0, chisq 0 on 0 df, p 1",
             c(5, 6, 7, 1, 2), c(1, 1, 1, 0, 0), c(1, 1, 1, 2, 2))
make_fixture("edge_two_no_event_groups",
             "groups b and c both without events: their pairwise test has no events (p NA)",
             c(1, 2, 3, 4, 2.5, 6, 1.5, 7), c(1, 1, 1, 1, 0, 0, 0, 0),
             c("a", "a", "a", "a", "b", "b", "c", "c"))
make_fixture("edge_group_of_one", "a group of a single subject",
             c(1, 2, 3, 4, 5, 6, 7, 3.5), c(1, 0, 1, 1, 0, 1, 1, 1),
             c(1, 1, 1, 2, 2, 2, 2, 3))
make_fixture("edge_stratum_one_group",
             "stratum y holds only group a (contributes O = E, no variance), as survdiff",
             c(1, 2, 3, 4, 5, 6, 2, 3, 4, 5, 6, 7),
             c(1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1),
             c("a", "b", "a", "b", "a", "b", "a", "a", "a", "a", "a", "a"),
             c("x", "x", "x", "x", "x", "x", "y", "y", "y", "y", "y", "y"), "s")
make_fixture("edge_separated", "every event of group a precedes the first time of group b",
             c(1, 2, 2, 3, 4, 6, 7, 8, 9, 10), c(1, 1, 1, 1, 1, 1, 0, 1, 0, 1),
             c("a", "a", "a", "a", "a", "b", "b", "b", "b", "b"))
make_fixture("edge_timefix", "times equal up to rounding (aeqSurv merges them) and events at time 0",
             c(0, 0.1 + 0.2, 0.3, 0.3, 1, 1 + 1e-12, 2, 2, 3, 1/3, 1 - 2/3, 4),
             c(1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0),
             c(1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2))
make_fixture("edge_timefix_strata",
             "an aeqSurv chain 1, 1+1e-8, 1+2e-8 spans two strata: merged on all times, then split",
             c(1, 1 + 1e-8, 1 + 2e-8, 1, 3, 4, 1 + 2e-8, 2, 3, 5, 1 + 1e-8, 6),
             c(1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1),
             c(1, 2, 1, 2, 1, 2, 2, 1, 2, 1, 2, 1),
             c(1, 1, 2, 2, 1, 2, 2, 1, 2, 2, 1, 1), "s")
make_fixture("edge_unequal_scores", "numeric group values 1, 2, 5 are the trend scores",
             c(3, 5, 7, 9, 11, 2, 4, 6, 8, 10, 1, 2, 3, 4, 6),
             c(1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1),
             c(1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 5, 5, 5, 5, 5))
make_fixture("edge_last_time_all_die", "the last event time removes everyone at risk (n - d = 0)",
             c(1, 2, 4, 4, 2, 3, 4, 4), c(1, 0, 1, 1, 1, 1, 1, 1),
             c(1, 1, 1, 1, 2, 2, 2, 2))

# ---- p.adjust -------------------------------------------------------------
pv <- list(
  c(0.01, 0.02, 0.03, 0.04, 0.05),
  c(0.2, 0.001, 0.04, 0.04, 0.5, 0.03),
  c(0.9, 0.6, 0.8),
  c(0.04, NA, 0.01, 0.3),
  c(1e-10, 0.5, 3e-4, 0.049, 0.051, 0.01, 0.01),
  c(0.3),
  numeric(0)
)
methods <- c("holm", "bonferroni", "hochberg", "BH", "BY")
write_json(lapply(pv, function(p) c(list(p = p),
                                    setNames(lapply(methods, function(m) p.adjust(p, m)), methods))),
           file.path(out_dir, "p_adjust.json"), digits = NA, auto_unbox = FALSE, na = "null")
cat("wrote", length(list.files(out_dir)), "fixtures to", out_dir, "\n")
