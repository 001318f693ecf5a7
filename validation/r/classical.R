# Reference fixtures for the classical tests (issue 5): binom.test, prop.test,
# chisq.test, fisher.test, t.test, wilcox.test. Writes
# validation/fixtures/classical/*.json holding every input and R's outputs.
# Run from the repository root (Rscript validation/r/classical.R) or from
# validation/ (generate.sh).
suppressPackageStartupMessages(library(jsonlite))

root <- if (dir.exists("validation")) "." else ".."
out_dir <- file.path(root, "validation", "fixtures", "classical")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
write_fixture <- function(x, name) {
  write_json(x, file.path(out_dir, paste0(name, ".json")),
             digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE)
}
rows_of <- function(m) lapply(seq_len(nrow(m)), function(i) I(unname(m[i, ])))
quiet <- function(expr) suppressWarnings(expr)
# jsonlite writes Inf as null under na = "null"; keep infinities distinguishable
# from NA by writing them as the strings the Rust fixture reader decodes.
inf <- function(v) if (length(v) == 1 && is.infinite(v)) (if (v > 0) "Inf" else "-Inf") else v

# --- the radionuclide cohort (examples/radionuclide-2004) ----------------------
pts <- read.csv(file.path(root, "examples", "radionuclide-2004", "patients.csv"))
ana <- pts[pts$excluded == 0, ]
age_a <- ana$age[ana$group == "A"]; age_b <- ana$age[ana$group == "B"]
fu_a <- ana$followup_months[ana$group == "A"]; fu_b <- ana$followup_months[ana$group == "B"]
dead <- !is.na(ana$death_months)
deaths <- matrix(c(sum(dead & ana$group == "A"), sum(dead & ana$group == "B"),
                   sum(!dead & ana$group == "A"), sum(!dead & ana$group == "B")), 2)
stopifnot(deaths[1, 1] == 5, sum(deaths[1, ]) == 19, deaths[2, 1] == 5, sum(deaths[2, ]) == 12)

# --- binom.test ------------------------------------------------------------------
binom_cases <- list(
  list(x = 0, n = 10, p = 0.5, alternative = "two.sided", conf = 0.95),
  list(x = 10, n = 10, p = 0.5, alternative = "two.sided", conf = 0.95),
  list(x = 3, n = 10, p = 0.5, alternative = "two.sided", conf = 0.95),
  list(x = 7, n = 19, p = 0.5, alternative = "two.sided", conf = 0.95),
  list(x = 5, n = 12, p = 0.5, alternative = "two.sided", conf = 0.95),
  list(x = 1, n = 1, p = 0.5, alternative = "two.sided", conf = 0.95),
  list(x = 0, n = 1, p = 0.5, alternative = "two.sided", conf = 0.95),
  list(x = 50, n = 100, p = 0.5, alternative = "two.sided", conf = 0.95),
  list(x = 2, n = 25, p = 0.3, alternative = "two.sided", conf = 0.95),
  list(x = 15, n = 20, p = 0.5, alternative = "greater", conf = 0.95),
  list(x = 4, n = 30, p = 0.2, alternative = "less", conf = 0.9),
  list(x = 18, n = 53, p = 0.5, alternative = "two.sided", conf = 0.95),
  list(x = 34, n = 53, p = 0.5, alternative = "two.sided", conf = 0.99),
  list(x = 400, n = 1000, p = 0.42, alternative = "two.sided", conf = 0.95),
  list(x = 9, n = 10, p = 0.9, alternative = "two.sided", conf = 0.95),
  list(x = 1, n = 200, p = 0.1, alternative = "two.sided", conf = 0.95),
  list(x = 3, n = 5, p = 0, alternative = "two.sided", conf = 0.95),
  list(x = 5, n = 5, p = 1, alternative = "two.sided", conf = 0.95)
)
write_fixture(lapply(binom_cases, function(k) {
  r <- binom.test(k$x, k$n, k$p, alternative = k$alternative, conf.level = k$conf)
  c(k, list(p_value = as.numeric(r$p.value), estimate = unname(r$estimate),
            lower = r$conf.int[1], upper = r$conf.int[2]))
}), "binom")

# --- prop.test (one sample: Wilson score interval) --------------------------------
prop_cases <- list()
for (k in binom_cases) {
  if (k$p <= 0 || k$p >= 1) next
  for (correct in c(TRUE, FALSE)) prop_cases[[length(prop_cases) + 1]] <- c(k, list(correct = correct))
}
prop_cases[[length(prop_cases) + 1]] <- list(x = 6, n = 12, p = 0.5, alternative = "two.sided", conf = 0.95, correct = TRUE)
write_fixture(lapply(prop_cases, function(k) {
  r <- quiet(prop.test(k$x, k$n, k$p, alternative = k$alternative, conf.level = k$conf, correct = k$correct))
  c(k, list(statistic = unname(r$statistic), df = unname(r$parameter),
            p_value = r$p.value, estimate = unname(r$estimate),
            lower = r$conf.int[1], upper = r$conf.int[2]))
}), "prop")

# --- chisq.test ------------------------------------------------------------------
chisq_tables <- list(
  radionuclide_deaths = deaths,
  zero_cell = matrix(c(0, 6, 5, 3), 2),
  equal_to_expected = matrix(c(5, 5, 5, 5), 2),
  two_by_three = matrix(c(12, 5, 7, 9, 3, 14), 2),
  three_by_four = matrix(c(10, 3, 8, 6, 12, 4, 9, 7, 2, 5, 11, 13), 3),
  zero_row = matrix(c(0, 3, 0, 4), 2),
  large = matrix(c(1200, 830, 640, 1410), 2),
  tiny_p = matrix(c(90, 5, 8, 97), 2)
)
chisq_out <- list()
for (nm in names(chisq_tables)) for (correct in c(TRUE, FALSE)) {
  m <- chisq_tables[[nm]]
  warned <- FALSE
  r <- withCallingHandlers(chisq.test(m, correct = correct),
                           warning = function(w) { warned <<- TRUE; invokeRestart("muffleWarning") })
  chisq_out[[length(chisq_out) + 1]] <- list(
    name = nm, table = rows_of(m), correct = correct,
    statistic = unname(r$statistic), df = unname(r$parameter), p_value = r$p.value,
    yates_applied = grepl("Yates", r$method),
    expected = rows_of(r$expected), residuals = rows_of(r$residuals), stdres = rows_of(r$stdres),
    warned = warned)
}
write_fixture(chisq_out, "chisq")

# --- fisher.test 2x2 ---------------------------------------------------------------
f22 <- list(
  list(name = "radionuclide_deaths", m = deaths),
  list(name = "zero_cell", m = matrix(c(0, 6, 5, 3), 2)),
  list(name = "tea_tasting", m = matrix(c(3, 1, 1, 3), 2)),
  list(name = "perfect", m = matrix(c(10, 0, 0, 10), 2)),
  list(name = "zero_row", m = matrix(c(3, 0, 2, 0), 2)),
  list(name = "large", m = matrix(c(120, 60, 80, 140), 2)),
  list(name = "unbalanced", m = matrix(c(1, 14, 9, 3), 2)),
  list(name = "orr_liver", m = matrix(c(10, 8, 7, 28), 2))
)
f22_out <- list()
for (k in f22) for (alt in c("two.sided", "less", "greater")) for (conf in c(0.95, 0.9)) {
  if (alt != "two.sided" && conf != 0.95) next
  r <- fisher.test(k$m, alternative = alt, conf.level = conf)
  f22_out[[length(f22_out) + 1]] <- list(
    name = k$name, table = rows_of(k$m), alternative = alt, conf = conf,
    p_value = r$p.value, odds_ratio = inf(unname(r$estimate)),
    lower = inf(r$conf.int[1]), upper = inf(r$conf.int[2]))
}
write_fixture(f22_out, "fisher2x2")

# --- fisher.test r x c ----------------------------------------------------------------
Job <- matrix(c(1, 2, 1, 0, 3, 3, 6, 1, 10, 10, 14, 9, 6, 7, 12, 11), 4, 4)
frc <- list(
  two_by_three = matrix(c(12, 5, 7, 9, 3, 14), 2),
  three_by_two = t(matrix(c(12, 5, 7, 9, 3, 14), 2)),
  three_by_three = matrix(c(3, 1, 0, 2, 4, 1, 0, 2, 5), 3),
  sparse_two_by_five = matrix(c(0, 3, 2, 0, 1, 1, 4, 0, 0, 2), 2),
  zero_row = matrix(c(2, 0, 3, 1, 0, 4, 2, 0, 1), 3),
  job_satisfaction = Job,
  response_by_line = matrix(c(2, 16, 16, 18, 1, 5, 10, 12, 0, 2, 3, 11), 4)
)
write_fixture(lapply(names(frc), function(nm) {
  r <- fisher.test(frc[[nm]])
  list(name = nm, table = rows_of(frc[[nm]]), p_value = r$p.value)
}), "fisher_rxc")

# --- t.test -------------------------------------------------------------------------------
sleep1 <- sleep$extra[sleep$group == 1]; sleep2 <- sleep$extra[sleep$group == 2]
tt <- list(
  list(name = "radionuclide_age", x = age_a, y = age_b),
  list(name = "radionuclide_followup", x = fu_a, y = fu_b),
  list(name = "sleep", x = sleep1, y = sleep2),
  list(name = "n1_group", x = c(71), y = c(60, 58, 66, 70)),
  list(name = "offset", x = c(1e6 + 0.1, 1e6 + 0.4, 1e6 + 0.35, 1e6 + 0.2), y = c(1e6 + 0.5, 1e6 + 0.65, 1e6 + 0.55))
)
tt_out <- list()
add_t <- function(k, kind, alt, mu, conf, r) {
  tt_out[[length(tt_out) + 1]] <<- list(
    name = k$name, x = I(k$x), y = if (kind == "one") NULL else I(k$y), kind = kind,
    alternative = alt, mu = mu, conf = conf,
    statistic = unname(r$statistic), df = unname(r$parameter), p_value = r$p.value,
    lower = inf(r$conf.int[1]), upper = inf(r$conf.int[2]),
    mean_x = unname(r$estimate[1]), mean_y = if (length(r$estimate) > 1) unname(r$estimate[2]) else NULL,
    std_err = r$stderr)
}
for (k in tt) {
  for (alt in c("two.sided", "less", "greater")) {
    if (length(k$x) > 1) add_t(k, "welch", alt, 0, 0.95, t.test(k$x, k$y, alternative = alt))
    add_t(k, "student", alt, 0, 0.95, t.test(k$x, k$y, var.equal = TRUE, alternative = alt))
  }
  if (length(k$x) > 1) {
    mu_y <- round(mean(k$y), 3)  # exactly representable in the fixture
    add_t(k, "one", "two.sided", mu_y, 0.9, t.test(k$x, mu = mu_y, conf.level = 0.9))
    add_t(k, "welch", "two.sided", 1.5, 0.99, t.test(k$x, k$y, mu = 1.5, conf.level = 0.99))
  }
}
add_t(list(name = "sleep_paired", x = sleep1, y = sleep2), "paired", "two.sided", 0, 0.95,
      t.test(sleep1, sleep2, paired = TRUE))
add_t(list(name = "sleep_paired", x = sleep1, y = sleep2), "paired", "less", 0.5, 0.9,
      t.test(sleep1, sleep2, paired = TRUE, alternative = "less", mu = 0.5, conf.level = 0.9))
write_fixture(tt_out, "ttest")

# --- wilcox.test ------------------------------------------------------------------------
set.seed(20240605)
big_x <- round(rnorm(60, 10, 3), 6); big_y <- round(rnorm(55, 11, 3), 6)
wc <- list(
  list(name = "r_example", x = c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46),
       y = c(1.15, 0.88, 0.90, 0.74, 1.21)),
  list(name = "radionuclide_age", x = age_a, y = age_b),
  list(name = "radionuclide_followup", x = fu_a, y = fu_b),
  list(name = "all_ties", x = c(3, 3, 3), y = c(3, 3)),
  list(name = "n1_group", x = c(5), y = c(1, 2, 3, 4)),
  list(name = "large_no_ties", x = big_x, y = big_y),
  list(name = "separated", x = c(11, 12, 13, 14, 15, 16, 17, 18), y = c(1, 2, 3, 4, 5, 6, 7))
)
wc_out <- list()
for (k in wc) for (alt in c("two.sided", "less", "greater")) for (variant in c("default", "approx_nocorrect", "shift")) {
  if (variant != "default" && alt != "two.sided") next
  exact <- NULL; correct <- TRUE; mu <- 0
  if (variant == "approx_nocorrect") { exact <- FALSE; correct <- FALSE }
  if (variant == "shift") mu <- 0.25
  r <- quiet(wilcox.test(k$x, k$y, alternative = alt, mu = mu, exact = exact, correct = correct))
  wc_out[[length(wc_out) + 1]] <- list(
    name = k$name, x = I(k$x), y = I(k$y), alternative = alt, mu = mu,
    exact = if (is.null(exact)) NULL else exact, correct = correct,
    statistic = unname(r$statistic), p_value = r$p.value,
    exact_used = grepl("exact", r$method))
}
write_fixture(wc_out, "wilcox")
cat("classical fixtures written to", out_dir, "\n")
