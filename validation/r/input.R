# Fixtures for issue 13: how the analysis commands read a CSV, checked end to
# end against R reading the same file with read.csv (UTF-8 locale, ICU root
# collation). Each fixture holds the CSV text netra is given and R's results.
#   Rscript --vanilla validation/r/input.R  (from the repository root or from
#   validation/; R 4.2.2, survival 3.5.3, in a UTF-8 locale)
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
stopifnot(icuGetCollate() == "root" || grepl("UTF-8", Sys.getlocale("LC_COLLATE")))
here <- if (file.exists("validation/r/input.R")) "validation" else "."
out <- file.path(here, "fixtures", "input")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

csv_text <- function(df) {
  f <- tempfile(fileext = ".csv")
  write.csv(df, f, row.names = FALSE, na = "NA", fileEncoding = "UTF-8")
  paste0(paste(readLines(f, encoding = "UTF-8"), collapse = "\n"), "\n")
}
save <- function(x, name) {
  write_json(x, file.path(out, paste0(name, ".json")),
             digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE)
}

# 1. Whole-column event coding: status is 1/2, and the only 2 is in a row
#    dropped for a missing time. Surv() sees the whole column: 1 = censored.
set.seed(13)
n <- 30
d1 <- data.frame(time = round(rexp(n, 0.1), 1), status = 1L)
d1 <- rbind(d1, data.frame(time = NA, status = 2L))
text1 <- csv_text(d1)
r1 <- read.csv(text = text1)
fit1 <- survfit(Surv(time, status) ~ 1, data = r1)
save(list(
  description = "1/2 status whose only 2 is in a dropped row: every analysed row censored",
  csv = text1,
  n = fit1$n, events = sum(fit1$n.event), n_dropped = length(fit1$na.action),
  final_survival = tail(fit1$surv, 1)
), "whole_column_status")

# 2. Non-ASCII factor levels and whole-column typing in a Cox model.
#    risk: "Élevé" sorts before "faible" (R: reference level "Élevé").
#    grade: numbers, but one text cell "G3" in a dropped row makes the
#    column character, so factor(grade) levels sort as text: "1" "10" "2".
set.seed(2013)
n <- 120
risk <- sample(c("Élevé", "faible"), n, replace = TRUE)
grade <- sample(c("1", "2", "10"), n, replace = TRUE)
rate <- ifelse(risk == "Élevé", 0.2, 0.05) * ifelse(grade == "1", 1, 1.6)
time <- round(rexp(n, rate), 2)
cens <- round(runif(n, 5, 40), 2)
d2 <- data.frame(time = pmin(time, cens), status = as.integer(time <= cens),
                 risk = risk, grade = grade, stringsAsFactors = FALSE)
d2 <- rbind(d2, data.frame(time = NA, status = 1L, risk = "faible", grade = "G3"))
text2 <- csv_text(d2)
r2 <- read.csv(text = text2, encoding = "UTF-8")
stopifnot(is.character(r2$grade))
fit2 <- coxph(Surv(time, status) ~ risk + factor(grade), data = r2)
lr2 <- survdiff(Surv(time, status) ~ risk, data = r2)
save(list(
  description = "accented factor levels sort in place; a text cell in a dropped row makes a column text",
  csv = text2,
  formula = "risk + factor(grade)",
  risk_levels = sort(unique(r2$risk)),
  names = names(coef(fit2)),
  coef = unname(coef(fit2)),
  se = unname(sqrt(diag(fit2$var))),
  loglik = fit2$loglik,
  n = fit2$n, events = fit2$nevent, n_dropped = length(fit2$na.action),
  logrank_chisq = lr2$chisq,
  logrank_observed = unname(lr2$obs)
), "levels_and_typing")

# 3. Degenerate Cox fits read from a CSV (issue 13), each as summary(coxph())
#    reports it: coefficients (NA as null), standard errors, the three tests
#    with their degrees of freedom, and R's warnings.
cox_result <- function(fit, warns) {
  s <- summary(fit)
  b <- coef(fit)
  list(names = names(b), coef = unname(b),
       se = unname(ifelse(is.na(b), NA, sqrt(diag(fit$var)))),
       loglik = fit$loglik, iterations = fit$iter,
       lr_test = unname(as.list(s$logtest)), wald_test = unname(as.list(s$waldtest)),
       score_test = unname(as.list(s$sctest)), wald_chisq = unname(fit$wald.test),
       warnings = as.list(warns))
}
fit_warned <- function(expr) {
  warns <- character(0)
  fit <- withCallingHandlers(expr, warning = function(w) {
    warns <<- c(warns, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  cox_result(fit, warns)
}
# 3a. Out of iterations (g separates) with a constant column: R keeps the
#     constant's coefficient at 0 (not NA) and the tests have 3 df.
d3 <- data.frame(time = c(5, 3, 9, 7, 4, 4, 3, 8), status = c(1, 0, 1, 0, 1, 1, 0, 1),
                 x = c(1.3, -0.5, -0.6, 0.9, 1.0, 0.7, -0.6, 0.5),
                 g = c(0, 0, 1, 1, 0, 0, 1, 1), const = 1)
text3 <- csv_text(d3)
r3 <- read.csv(text = text3)
save(c(list(description = "out of iterations with a constant column: coefficient 0, 3 df",
            csv = text3, formula = "x + g + const"),
       fit_warned(coxph(Surv(time, status) ~ x + g + const, data = r3))),
     "cox_not_converged_constant")

# 3b. Age in days next to a level whose coefficient runs to -Inf: R's
#     Cholesky tolerance leaves age out of the Wald test (p 0.47 where the
#     likelihood-ratio and score tests give 0.015); a collinear column
#     (age in months) is NA and the tests keep 3 df.
set.seed(2024)
n <- 80
age <- round(rnorm(n, 62, 10))
site <- sample(c("pancreas", "ileum"), n, TRUE)
site[1:2] <- "other"
t4 <- round(rexp(n, 0.02 * exp(0.04 * (age - 62))))
c4 <- round(runif(n, 10, 120))
d4 <- data.frame(time = pmin(t4, c4), status = as.integer(t4 <= c4),
                 age_days = age * 365 + sample(0:364, n, TRUE), site = site)
d4$status[1:2] <- 0
d4$time[1:2] <- c(3, 5)
d4$age_years <- round(d4$age_days / 365.25, 6)
d4$age_months <- d4$age_years * 12
text4 <- csv_text(d4)
r4 <- read.csv(text = text4)
save(c(list(description = "age in days: the Wald test leaves age out (R's Cholesky tolerance)",
            csv = text4, formula = "age_days + site"),
       fit_warned(coxph(Surv(time, status) ~ age_days + site, data = r4))),
     "cox_scale_age_days")
save(c(list(description = "age in years and in months (collinear): NA and 3 df",
            csv = text4, formula = "age_years + site + age_months"),
       fit_warned(coxph(Surv(time, status) ~ age_years + site + age_months, data = r4))),
     "cox_collinear_age_months")
