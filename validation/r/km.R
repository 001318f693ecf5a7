# Reference fixtures for netra's Kaplan-Meier (crates/netra-stats/src/km).
# Writes validation/fixtures/km/*.json: the inputs given to R and R's outputs
# for every field netra reports. Run from validation/: Rscript --vanilla r/km.R
#
# Matched R functions (survival 3.5.x):
#   steps      survfit(Surv(time, event) ~ group, weights, conf.type, conf.int,
#              timefix) and summary(fit, censored = TRUE) for std.err
#   quantiles  quantile(fit, probs)            (median = probs 0.5)
#   at_times   summary(fit, times, extend = FALSE) and extend = TRUE
#   rmst       survival:::survmean(fit, rmean = tau) (what print(fit, rmean =
#              tau) prints); CI = rmean +/- qnorm(1 - (1 - conf.int)/2) * se
#   rmst diff  from R's per-group values: second - first, se = sqrt(se1^2 +
#              se2^2), normal CI and p = 2 * pnorm(-|est / se|)
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

out_dir <- file.path("fixtures", "km")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

vec <- function(x) I(as.numeric(x))

curve_parts <- function(fit, times, extend) {
  s <- tryCatch(summary(fit, times = times, extend = extend),
                error = function(e) NULL)
  s
}

one_curve <- function(fit1, sfit1, n, probs, times, taus, conf.int) {
  q <- quantile(fit1, probs = probs)
  at <- function(extend) {
    s <- tryCatch(summary(fit1, times = times, extend = extend),
                  error = function(e) NULL)
    if (is.null(s)) {
      return(list(time = vec(numeric(0)), n_risk = vec(numeric(0)),
                  survival = vec(numeric(0)), std_err = vec(numeric(0)),
                  lower = vec(numeric(0)), upper = vec(numeric(0))))
    }
    list(time = vec(s$time), n_risk = vec(s$n.risk), survival = vec(s$surv),
         std_err = vec(s$std.err), lower = vec(s$lower), upper = vec(s$upper))
  }
  z <- qnorm(1 - (1 - conf.int) / 2)
  rm <- lapply(taus, function(tau) {
    m <- survival:::survmean(fit1, scale = 1, rmean = tau)$matrix
    est <- unname(m["rmean"])
    se <- unname(m["se(rmean)"])
    list(tau = tau, estimate = est, std_err = se,
         lower = est - z * se, upper = est + z * se)
  })
  list(
    n = n,
    events = sum(fit1$n.event),
    robust = !isTRUE(fit1$logse),
    steps = list(time = vec(sfit1$time), n_risk = vec(sfit1$n.risk),
                 n_event = vec(sfit1$n.event), n_censor = vec(sfit1$n.censor),
                 survival = vec(sfit1$surv), std_err = vec(sfit1$std.err),
                 lower = vec(sfit1$lower), upper = vec(sfit1$upper)),
    quantiles = list(p = vec(probs), estimate = vec(q$quantile),
                     lower = vec(q$lower), upper = vec(q$upper)),
    at_times = at(FALSE),
    at_times_extend = at(TRUE),
    rmst = rm
  )
}

make_fixture <- function(name, description, time, event, weights = NULL,
                         group = NULL, conf.type = "log", conf.int = 0.95,
                         timefix = TRUE, times = NULL, taus = NULL,
                         probs = c(0.25, 0.5, 0.75)) {
  df <- data.frame(time = time, event = as.numeric(event))
  if (!is.null(weights)) df$w <- weights
  if (!is.null(group)) {
    group <- droplevels(as.factor(group))
    df$g <- group
  }
  form <- if (is.null(group)) Surv(time, event) ~ 1 else Surv(time, event) ~ g
  fit <- if (is.null(weights)) {
    survfit(form, data = df, conf.type = conf.type, conf.int = conf.int,
            timefix = timefix)
  } else {
    survfit(form, data = df, weights = w, conf.type = conf.type,
            conf.int = conf.int, timefix = timefix)
  }
  if (is.null(times)) {
    rng <- range(time)
    times <- c(-1, 0, rng[1] / 2, stats::median(time), rng[2], rng[2] + 10)
  }
  if (is.null(taus)) taus <- c(stats::median(time), max(time))
  curves <- list()
  if (is.null(group)) {
    sfit <- summary(fit, censored = TRUE)
    curves[[1]] <- c(list(group = "all"),
                     one_curve(fit, sfit, fit$n, probs, times, taus, conf.int))
  } else {
    levs <- levels(group)
    for (i in seq_along(levs)) {
      fit1 <- fit[i]
      sfit1 <- summary(fit1, censored = TRUE)
      curves[[i]] <- c(list(group = levs[i]),
                       one_curve(fit1, sfit1, fit$n[i], probs, times, taus,
                                 conf.int))
    }
  }
  rdiff <- NULL
  if (length(curves) == 2) {
    z <- qnorm(1 - (1 - conf.int) / 2)
    rdiff <- lapply(seq_along(taus), function(k) {
      a <- curves[[1]]$rmst[[k]]
      b <- curves[[2]]$rmst[[k]]
      est <- b$estimate - a$estimate
      se <- sqrt(a$std_err^2 + b$std_err^2)
      list(tau = taus[k], groups = I(c(curves[[1]]$group, curves[[2]]$group)),
           estimate = est, std_err = se, lower = est - z * se,
           upper = est + z * se, p = 2 * pnorm(-abs(est / se)))
    })
  }
  fixture <- list(
    name = name,
    description = description,
    r_version = paste(R.version$major, R.version$minor, sep = "."),
    survival_version = as.character(packageVersion("survival")),
    input = list(
      time = vec(time),
      event = I(as.logical(event)),
      weights = if (is.null(weights)) NULL else vec(weights),
      group = if (is.null(group)) NULL else I(as.integer(group) - 1L),
      levels = if (is.null(group)) NULL else I(levels(group))
    ),
    options = list(conf_type = conf.type, conf_level = conf.int,
                   timefix = timefix),
    probs = vec(probs),
    times = vec(times),
    taus = vec(taus),
    curves = curves,
    rmst_difference = rdiff
  )
  path <- file.path(out_dir, paste0(name, ".json"))
  write_json(fixture, path, digits = NA, auto_unbox = TRUE, na = "null",
             null = "null", pretty = FALSE)
  cat("wrote", path, "\n")
}

# ---- R's bundled data sets ------------------------------------------------
lung_ev <- lung$status == 2
make_fixture("lung_all", "lung, all patients, status 2 = death",
             lung$time, lung_ev, times = c(0, 90, 180, 365, 730, 1000, 1022, 1100))
make_fixture("lung_by_sex", "lung by sex",
             lung$time, lung_ev, group = lung$sex,
             times = c(0, 90, 180, 365, 730, 1000, 1022, 1100))
for (ct in c("log-log", "plain", "logit", "arcsin")) {
  make_fixture(paste0("lung_by_sex_", gsub("-", "", ct)),
               paste("lung by sex, conf.type =", ct),
               lung$time, lung_ev, group = lung$sex, conf.type = ct,
               times = c(0, 90, 180, 365, 730, 1000, 1022, 1100))
}
make_fixture("lung_by_sex_loglog_90", "lung by sex, log-log at 90%",
             lung$time, lung_ev, group = lung$sex, conf.type = "log-log",
             conf.int = 0.90, times = c(180, 365, 730))
make_fixture("lung_all_plain_99", "lung, plain at 99%",
             lung$time, lung_ev, conf.type = "plain", conf.int = 0.99,
             times = c(180, 365, 730))

make_fixture("veteran_by_trt", "veteran by trt",
             veteran$time, veteran$status == 1, group = veteran$trt,
             times = c(30, 90, 180, 365, 999, 1000))
make_fixture("ovarian_all", "ovarian, fustat = death",
             ovarian$futime, ovarian$fustat == 1,
             times = c(100, 365, 730, 1000, 1227, 2000))
make_fixture("ovarian_by_rx_logit", "ovarian by rx, logit",
             ovarian$futime, ovarian$fustat == 1, group = ovarian$rx,
             conf.type = "logit", times = c(100, 365, 730, 1000, 1227, 2000))
colon_d <- colon[colon$etype == 2, ]
make_fixture("colon_death_by_rx", "colon, death rows (etype 2) by rx",
             colon_d$time, colon_d$status == 1, group = colon_d$rx,
             times = c(365, 730, 1825, 3000, 3329, 4000))
make_fixture("pbc_all", "pbc, status 2 = death (transplant censored)",
             pbc$time, pbc$status == 2, times = c(365, 1825, 3650, 4795, 5000))
pbc_t <- pbc[!is.na(pbc$trt), ]
make_fixture("pbc_by_trt_arcsin", "pbc trial patients by trt, arcsin",
             pbc_t$time, pbc_t$status == 2, group = pbc_t$trt,
             conf.type = "arcsin", times = c(365, 1825, 3650, 4556, 5000))

# ---- case weights ---------------------------------------------------------
set.seed(20240611)
w_lung <- runif(nrow(lung), 0.2, 3)
make_fixture("lung_by_sex_weights", "lung by sex, random positive weights (robust variance)",
             lung$time, lung_ev, weights = w_lung, group = lung$sex,
             times = c(0, 180, 365, 730, 1022, 1100))
w_vet <- runif(nrow(veteran), 0.5, 2)
w_vet[sample(nrow(veteran), 15)] <- 0
make_fixture("veteran_weights_zeros", "veteran by trt, random weights with 15 zeros",
             veteran$time, veteran$status == 1, weights = w_vet,
             group = veteran$trt, conf.type = "log-log",
             times = c(30, 90, 180, 365, 999, 1000))
w_ov <- c(2, 0, 1, 3, 1, 1, 0, 2, 2, 1, 1, 3, 1, 1, 2, 1, 1, 0, 2, 1, 1, 1, 2, 1, 1, 1)
make_fixture("ovarian_integer_weights", "ovarian, integer weights with zeros (Greenwood)",
             ovarian$futime, ovarian$fustat == 1, weights = w_ov,
             times = c(100, 365, 730, 1227, 2000))
make_fixture("tail_zero_weights", "last subjects carry zero weight; S reaches 0 (robust)",
             c(1, 2, 3, 4, 5, 6), c(1, 0, 1, 1, 1, 0),
             weights = c(1.5, 0.5, 1, 2.25, 0, 0),
             times = c(0.5, 3, 4, 5, 6, 7), taus = c(3.5, 6))

# ---- timefix --------------------------------------------------------------
tf_time <- c(1, 1 + 1e-10, 2, 2 + 1e-10, 2 - 1e-10, 3, 4, 4 + 2e-10, 5, 6)
tf_event <- c(1, 0, 1, 1, 0, 1, 0, 1, 1, 0)
make_fixture("timefix_on", "times differing by 1e-10 are merged (timefix = TRUE)",
             tf_time, tf_event, times = c(1, 2, 4, 6), taus = c(3, 6))
make_fixture("timefix_off", "the same times kept apart (timefix = FALSE)",
             tf_time, tf_event, timefix = FALSE, times = c(1, 2, 4, 6),
             taus = c(3, 6))
make_fixture("timefix_relative", "large times equal to 1e-9 relative",
             c(1e6, 1e6 * (1 + 1e-9), 2e6, 2e6 * (1 - 5e-10), 3e6, 4e6),
             c(1, 1, 0, 1, 1, 0), times = c(1e6, 2e6, 5e6), taus = c(2.5e6))

# ---- edge cases -----------------------------------------------------------
make_fixture("all_censored", "no events: S = 1, median not reached",
             c(2, 3, 3, 5, 8), c(0, 0, 0, 0, 0), times = c(1, 3, 8, 9),
             taus = c(4, 8), probs = c(0, 0.5, 1))
make_fixture("one_event", "a single event",
             c(2, 3, 4, 5, 8), c(0, 0, 1, 0, 0), times = c(1, 4, 8, 9),
             taus = c(4, 8))
make_fixture("tied_events_censorings", "events and censorings tied at one time",
             c(1, 2, 2, 2, 2, 3, 4, 4, 5), c(1, 1, 1, 0, 0, 0, 1, 0, 1),
             times = c(0.5, 2, 2.5, 4, 5, 6), taus = c(2, 5))
make_fixture("flat_at_half", "S flat at exactly 0.5 from 2 to 5: median 3.5",
             c(1, 2, 3, 5), c(1, 1, 0, 1), times = c(2, 3, 5, 6),
             taus = c(4, 5), probs = c(0, 0.1, 0.25, 0.5, 0.75, 1))
make_fixture("flat_at_half_to_end", "S flat at 0.5 until the last (censored) time",
             c(1, 2, 3, 6), c(1, 1, 0, 0), times = c(2, 6, 7), taus = c(6))
make_fixture("flat_quartiles_loglog", "flat stretches at 0.75, 0.5, 0.25 with log-log",
             c(1, 2, 3, 4, 5, 6, 7, 8), c(1, 1, 0, 0, 1, 1, 1, 1),
             conf.type = "log-log", times = c(2, 4.5, 8), taus = c(8))
make_fixture("group_of_one", "a group with one subject beside larger groups",
             c(5, 1, 2, 3, 4, 6, 2, 7, 9), c(1, 1, 0, 1, 1, 0, 1, 1, 0),
             group = c("solo", "a", "a", "a", "a", "b", "b", "b", "b"),
             times = c(0, 3, 5, 10), taus = c(5, 9))
make_fixture("group_of_one_censored", "two groups, one of a single censored subject",
             c(4, 1, 2, 3, 5, 6), c(0, 1, 1, 0, 1, 0),
             group = c("x", "y", "y", "y", "y", "y"),
             times = c(0, 3, 4, 6), taus = c(4, 6))
make_fixture("time_zero_events", "events at time 0 (no survfit0 row is added)",
             c(0, 0, 1, 2, 2, 3, 4), c(1, 0, 1, 1, 0, 0, 1),
             times = c(0, 0.5, 2, 4, 5), taus = c(1, 4))
make_fixture("censor_first_logit", "censoring before the first event (S = 1 rows), logit",
             c(1, 2, 3, 4, 5, 6, 7), c(0, 0, 1, 1, 0, 1, 1),
             conf.type = "logit", times = c(0.5, 1.5, 3, 7, 8), taus = c(2, 7))
make_fixture("censor_first_arcsin", "censoring before the first event, arcsin",
             c(1, 2, 3, 4, 5, 6, 7), c(0, 0, 1, 1, 0, 1, 1),
             conf.type = "arcsin", times = c(0.5, 1.5, 3, 7, 8), taus = c(2, 7))
make_fixture("reaches_zero_plain", "S reaches 0 with plain intervals (NaN limits)",
             c(1, 2, 3, 4), c(1, 0, 1, 1), conf.type = "plain",
             times = c(0.5, 2, 4, 5), taus = c(2.5, 4))

# ---- larger random data: ties, near-ties, zero and fractional weights -----
set.seed(7)
n_r <- 1200
g_r <- sample(c("low", "mid", "high", "zero"), n_r, replace = TRUE,
              prob = c(0.3, 0.3, 0.35, 0.05))
t_r <- round(rexp(n_r, c(low = 0.05, mid = 0.08, high = 0.12, zero = 0.1)[g_r]), 1)
near <- sample(n_r, 60)
t_r[near] <- t_r[near] + 1e-10          # merged back by timefix
e_r <- rbinom(n_r, 1, 0.7)
w_r <- round(runif(n_r, 0, 2.5), 3)
w_r[sample(n_r, 100)] <- 0
w_r[g_r == "zero"] <- 0                 # a group whose weights are all zero
make_fixture("random_weighted_groups",
             "1200 rows, 4 groups (one all zero weight), ties, near-ties, fractional and zero weights",
             t_r, e_r, weights = w_r, group = g_r, conf.type = "log-log",
             times = c(0, 1, 5, 10, 20, 40, 80), taus = c(10, 30))
make_fixture("random_unweighted_groups",
             "the same 1200 rows without weights, plain intervals at 80%",
             t_r, e_r, group = g_r, conf.type = "plain", conf.int = 0.8,
             times = c(0, 1, 5, 10, 20, 40, 80), taus = c(10, 30))
