# Reference fixtures for competing risks: cumulative incidence (Aalen-Johansen)
# with Gray's variance, cmprsk::timepoints, the log(-log) confidence interval,
# and Gray's K-sample test, all as computed by cmprsk::cuminc.
#
# Writes validation/fixtures/cuminc/<case>.json. Each fixture holds the input
# (complete rows only, as cuminc sees them after na.omit) and R's output:
#   input:  time, status (text), status_code (0 = censored, k = k-th cause of
#           `causes`), group (labels or null), group_index (0-based, R's factor
#           order), strata_index (0-based), cencode, rho, times, conf_level
#   causes: the failure codes in cuminc's order (uclab)
#   curves: one per cause x group, in cuminc's order, with cuminc's full
#           `time`/`est`/`var` vectors (duplicated-corner layout), the jump
#           points (step_*), timepoints() at `times` (tp_*), and the log(-log)
#           interval computed here from est/var (F^exp(+-z*se/(F*log F)))
#   tests:  one per cause (null with one group): cuminc's Tests (stat, pv, df)
#           plus the score vector and its variance matrix from crstm.
#
# Run from the repository root or validation/: Rscript --vanilla r/cuminc.R
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})

out_dir <- if (dir.exists("validation")) "validation/fixtures/cuminc" else "fixtures/cuminc"
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

# The interval netra reports: the log(-log) transform commonly used with
# cuminc. NaN (F = 0, or F = 1 with var = 0 in some R builds) becomes null.
loglog_ci <- function(est, var, level) {
  z <- qnorm(1 - (1 - level) / 2)
  se <- sqrt(var)
  lower <- est^exp(-z * se / (est * log(est)))
  upper <- est^exp(z * se / (est * log(est)))
  list(lower = lower, upper = upper)
}

write_case <- function(name, description, time, status, group = NULL,
                       strata = NULL, cencode = 0, rho = 0, times,
                       conf_level = 0.95) {
  cat("case", name, "\n")
  n0 <- length(time)
  d <- data.frame(time = time, status = status, stringsAsFactors = FALSE)
  d$group <- if (is.null(group)) rep(1, n0) else group
  d$strata <- if (is.null(strata)) rep(1, n0) else strata
  keep <- complete.cases(d)
  d <- d[keep, ]
  args <- list(ftime = d$time, fstatus = d$status, rho = rho, cencode = cencode)
  if (!is.null(group)) args$group <- d$group
  if (!is.null(strata)) args$strata <- d$strata
  fit <- do.call(cuminc, args)

  # Reproduce cuminc's codings: group levels with members, causes (uclab).
  gf <- as.factor(d$group)
  tab <- table(gf)
  gf <- factor(gf, names(tab)[tab > 0])
  sf <- as.factor(d$strata)
  censind <- ifelse(d$status == cencode, 0, 1)
  if (is.factor(d$status)) {
    uc <- table(d$status[censind == 1])
    causes <- names(uc)[uc > 0]
  } else {
    causes <- sort(unique(d$status[censind == 1]))
  }
  status_code <- ifelse(censind == 0, 0L, match(as.character(d$status), as.character(causes)))
  levels_g <- levels(gf)
  ng <- length(levels_g)

  curves <- list()
  l <- 0
  for (ii in seq_along(causes)) {
    for (jj in seq_len(ng)) {
      l <- l + 1
      cv <- fit[[l]]
      len <- length(cv$time)
      idx <- if (len > 2) seq(3, len - 1, by = 2) else integer(0)
      step_ci <- loglog_ci(cv$est[idx], cv$var[idx], conf_level)
      tp <- timepoints(fit, times)
      tp_est <- unname(tp$est[l, ])
      tp_var <- unname(tp$var[l, ])
      tp_ci <- loglog_ci(tp_est, tp_var, conf_level)
      in_group <- gf == levels_g[jj]
      curves[[l]] <- list(
        group = if (is.null(group)) NULL else levels_g[jj],
        group_index = jj - 1,
        cause = as.character(causes[ii]),
        cause_index = ii,
        n = sum(in_group),
        events = sum(in_group & status_code == ii),
        name = names(fit)[l],
        time = I(cv$time), est = I(cv$est), var = I(cv$var),
        step_time = I(cv$time[idx]), step_est = I(cv$est[idx]),
        step_var = I(cv$var[idx]),
        step_lower = I(step_ci$lower), step_upper = I(step_ci$upper),
        tp_est = I(tp_est), tp_var = I(tp_var),
        tp_lower = I(tp_ci$lower), tp_upper = I(tp_ci$upper)
      )
    }
  }

  tests <- NULL
  if (ng > 1) {
    # The same crstm call cuminc makes, to record the score and its variance.
    o <- order(d$time)
    ds <- d[o, ]
    gs <- as.integer(gf[o])
    ss <- as.integer(sf[o])
    cs <- censind[o]
    ng1 <- ng - 1
    ng2 <- ng * ng1 / 2
    tests <- list()
    for (ii in seq_along(causes)) {
      causeind <- ifelse(as.character(ds$status) == as.character(causes[ii]), 1, 0)
      m <- 2 * cs - causeind
      z2 <- .Fortran("crstm", as.double(ds$time), as.integer(m), as.integer(gs),
        as.integer(ss), as.integer(nrow(ds)), as.double(rho),
        as.integer(length(levels(sf))), as.integer(ng), double(ng1),
        matrix(0, ng1, ng1), as.double(ds$time), as.integer(m), as.integer(gs),
        double(ng2), double(ng1), double(ng2), double((4 + 3 * ng) * ng),
        integer(4 * ng), PACKAGE = "cmprsk")
      tests[[ii]] <- list(
        cause = as.character(causes[ii]),
        stat = unname(fit$Tests[ii, "stat"]),
        pv = unname(fit$Tests[ii, "pv"]),
        df = unname(fit$Tests[ii, "df"]),
        score = I(z2[[9]]),
        variance = I(matrix(z2[[10]], ng1, ng1))
      )
    }
  }

  fixture <- list(
    name = name,
    description = description,
    r_version = R.version.string,
    cmprsk_version = as.character(packageVersion("cmprsk")),
    input = list(
      time = I(d$time),
      status = I(as.character(d$status)),
      status_code = I(status_code),
      group = if (is.null(group)) NULL else I(as.character(d$group)),
      group_index = I(as.integer(gf) - 1L),
      group_levels = I(levels_g),
      strata = if (is.null(strata)) NULL else I(as.character(d$strata)),
      strata_index = I(as.integer(sf) - 1L),
      n_strata = length(levels(sf)),
      cencode = as.character(cencode),
      rho = rho,
      times = I(times),
      conf_level = conf_level,
      n_dropped = n0 - nrow(d)
    ),
    causes = I(as.character(causes)),
    curves = curves,
    tests = tests
  )
  write_json(fixture, file.path(out_dir, paste0(name, ".json")),
    digits = NA, auto_unbox = TRUE, na = "null", null = "null", pretty = FALSE)
}

# --- cmprsk's own example (its help page), stratified as there -------------
set.seed(2)
ss <- rexp(100)
gg <- factor(sample(1:3, 100, replace = TRUE), 1:3, c("a", "b", "c"))
cc <- sample(0:2, 100, replace = TRUE)
strt <- sample(1:2, 100, replace = TRUE)
tp_ex <- c(0.1, 0.5, 1, 2, 3, 4)
write_case("cmprsk_example_strata", "cmprsk help example: cuminc(ss, cc, gg, strt)",
  ss, cc, gg, strt, times = tp_ex)
write_case("cmprsk_example", "cmprsk help example without strata",
  ss, cc, gg, times = tp_ex)
write_case("cmprsk_example_rho1", "cmprsk help example, rho = 1, no strata",
  ss, cc, gg, rho = 1, times = tp_ex, conf_level = 0.9)
write_case("cmprsk_example_strata_rho_neg", "cmprsk help example, rho = -0.5, strata",
  ss, cc, gg, strt, rho = -0.5, times = tp_ex, conf_level = 0.99)

# --- mgus2: progression to plasma cell malignancy vs death (survival vignette)
etime <- with(mgus2, ifelse(pstat == 0, futime, ptime))
event <- with(mgus2, ifelse(pstat == 0, 2 * death, 1))
event <- factor(event, 0:2, labels = c("censor", "pcm", "death"))
write_case("mgus2_sex", "mgus2: time to PCM vs death (months), by sex",
  etime, event, mgus2$sex, cencode = "censor", times = c(12, 60, 120, 240, 400))
age_band <- ifelse(mgus2$age >= 70, "70+", "<70")
write_case("mgus2_sex_strata_age", "mgus2 by sex, stratified by age >= 70",
  etime, event, mgus2$sex, age_band, cencode = "censor", times = c(60, 120, 240))
# Heavy ties: times rounded to whole years, three age groups, rho = 0.5.
age3 <- cut(mgus2$age, c(0, 60, 70, Inf), labels = c("<60", "60-69", "70+"), right = FALSE)
write_case("mgus2_years_age3_rho", "mgus2, times in whole years (many ties), three age groups, rho = 0.5",
  round(etime / 12), event, age3, cencode = "censor", rho = 0.5, times = c(0, 1, 5, 10, 20, 30, 40))

# --- pbc: transplant (1) vs death (2), censored 0; trt has NAs ---------------
write_case("pbc_trt", "pbc: transplant vs death by treatment (NA trt dropped)",
  pbc$time, pbc$status, pbc$trt, times = c(365, 1000, 1826, 3650, 5000))
write_case("pbc_trt_strata_sex", "pbc by treatment, stratified by sex",
  pbc$time, pbc$status, pbc$trt, as.character(pbc$sex), times = c(1826, 3650))
write_case("pbc_edema", "pbc: three edema groups (0, 0.5, 1), 2 df",
  pbc$time, pbc$status, pbc$edema, times = c(1000, 2000, 4000))

# --- edge cases -------------------------------------------------------------
# Ties of both causes and censorings at one time; events at time 0; the last
# time of group x is failures of both causes taking its whole risk set.
write_case("ties", "ties between causes and censorings; time-0 events; all at risk fail at the last time",
  time = c(0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 5, 5,
           0, 1, 1, 1, 2, 2, 4, 4, 4, 4, 6, 6),
  status = c(1, 0, 1, 2, 0, 1, 2, 2, 0, 1, 1, 2, 0, 1, 2,
             2, 1, 0, 2, 1, 1, 0, 2, 1, 0, 1, 0),
  group = c(rep("x", 15), rep("y", 12)), times = c(0, 1, 2.5, 5, 6, 7))
set.seed(7)
write_case("ties_random", "integer times 0..6 with three codes and two groups (dense ties)",
  time = sample(0:6, 60, replace = TRUE), status = sample(0:2, 60, replace = TRUE),
  group = sample(c("p", "q"), 60, replace = TRUE), times = c(1, 3, 6))
write_case("group_without_cause", "group c has no failures of cause 1",
  time = c(2, 3, 5, 7, 8, 11, 1, 4, 4, 6, 9, 10, 2, 3, 5, 8, 12),
  status = c(1, 2, 1, 0, 1, 2, 1, 1, 0, 2, 1, 0, 2, 0, 2, 0, 2),
  group = c(rep("a", 6), rep("b", 6), rep("c", 5)), times = c(3, 6, 12))
write_case("single_group", "no group: one curve per cause, no test",
  time = c(1, 2, 2, 3, 4, 4, 5, 6, 7, 8), status = c(1, 2, 0, 1, 1, 2, 0, 1, 2, 0),
  times = c(2, 4, 8, 9))
write_case("group_of_one", "a group with a single subject (a cause-1 failure)",
  time = c(1, 2, 3, 4, 5, 6, 7, 3.5), status = c(1, 0, 2, 1, 1, 0, 2, 1),
  group = c(rep("big", 7), "solo"), times = c(3.5, 5))
write_case("singular", "cause-1 failures only in the later group: zero variance, cuminc's stat = -1",
  time = c(1, 2, 3, 4, 10, 11, 12, 13), status = c(2, 0, 2, 0, 1, 1, 0, 1),
  group = c("early", "early", "early", "early", "late", "late", "late", "late"),
  times = c(5, 12))
write_case("text_codes", "text status codes with a text censoring code",
  time = c(3, 5, 5, 8, 9, 12, 14, 15, 2, 4, 6, 7, 10, 11, 13),
  status = c("relapse", "death", "alive", "relapse", "alive", "death", "relapse", "alive",
             "death", "relapse", "relapse", "alive", "death", "alive", "relapse"),
  group = c(rep("PRRT", 8), rep("everolimus", 7)), cencode = "alive", times = c(5, 10))
# Issue 13: every outcome known (no censored row; netra needs --no-censoring).
write_case("uncensored", "no censored row: every subject fails of cause 1 or 2",
  time = c(2, 3, 3, 5, 6, 8, 9, 11, 1, 2, 4, 4, 7, 10, 12, 13),
  status = c(1, 2, 1, 1, 2, 1, 2, 1, 2, 1, 1, 2, 2, 1, 2, 1),
  group = c(rep("a", 8), rep("b", 8)), times = c(3, 6, 12))
write_case("stratum_without_cause", "stratum s2 has no failures of cause 1",
  time = c(1, 2, 3, 4, 5, 6, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5),
  status = c(1, 2, 1, 0, 1, 2, 2, 0, 2, 2, 0, 1),
  group = c("a", "b", "a", "b", "a", "b", "a", "b", "a", "b", "a", "b"),
  strata = c(rep("s1", 6), rep("s2", 6)), times = c(2, 4))
write_case("stratum_with_one_group", "stratum s2 holds only group a",
  time = c(1, 2, 3, 4, 5, 6, 7, 8, 1.5, 2.5, 3.5, 4.5),
  status = c(1, 2, 1, 0, 1, 2, 1, 1, 1, 2, 1, 0),
  group = c("a", "b", "a", "b", "a", "b", "a", "b", "a", "a", "a", "a"),
  strata = c(rep("s1", 8), rep("s2", 4)), times = c(2, 4, 8))

# All censored: cuminc stops with an error (no cause occurs); recorded so the
# Rust test documents the different, deliberate behaviour (a clear error).
err <- tryCatch({ cuminc(c(1, 2, 3), c(0, 0, 0)); "no error" },
  error = function(e) conditionMessage(e))
write_json(list(name = "all_censored", description = "every subject censored",
  input = list(time = I(c(1, 2, 3)), status = I(c("0", "0", "0")), cencode = "0"),
  r_error = err), file.path(out_dir, "all_censored.json"),
  digits = NA, auto_unbox = TRUE, na = "null", null = "null")
