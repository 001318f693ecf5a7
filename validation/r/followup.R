# Reference fixtures for median follow-up and the SPSS-style median interval
# (issue 16). Writes validation/fixtures/followup/cases.json.
#
#   follow_up       reverse Kaplan–Meier: quantile(survfit(Surv(time, 1 - status)
#                   ~ 1), 0.5) (log CI, 95%), the range of all times and the
#                   number censored
#   spss_median     median ± qnorm(0.975)·SE, SE = SE[S(t50)] / f(t50) with
#                   f = (S(u) − S(l)) / (l − u), u the last event time with
#                   S ≥ 0.55 (0 with S = 1 when none), l the first with S ≤
#                   0.45, t50 the first event time with S ≤ 0.5 and SE[S] the
#                   Greenwood standard error of S (survfit's std.err × surv):
#                   the formula of netra_stats::km::spss (IBM SPSS Statistics
#                   Algorithms, KM; Collett 2003 §2.4.2), evaluated here on
#                   survfit's curve of the events
suppressPackageStartupMessages({ library(jsonlite); library(survival) })

root <- if (dir.exists("validation")) "." else ".."
out_dir <- file.path(root, "validation", "fixtures", "followup")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

spss_median <- function(fit, conf = 0.95) {
  ev <- fit$n.event > 0
  t <- fit$time[ev]; s <- fit$surv[ev]; se <- (fit$surv * fit$std.err)[ev]
  i <- which(s <= 0.5)[1]
  l <- which(s <= 0.45)[1]
  if (is.na(i) || is.na(l)) return(NULL)
  u <- which(s >= 0.55)
  ut <- if (length(u)) t[max(u)] else 0
  us <- if (length(u)) s[max(u)] else 1
  sem <- se[i] / ((us - s[l]) / (t[l] - ut))
  if (!is.finite(sem)) return(NULL)
  z <- qnorm(1 - (1 - conf) / 2)
  list(estimate = t[i], std_err = sem, lower = t[i] - z * sem, upper = t[i] + z * sem)
}

one <- function(name, time, status) {
  rev <- survfit(Surv(time, 1 - status) ~ 1)
  q <- quantile(rev, 0.5)
  fit <- survfit(Surv(time, status) ~ 1)
  qm <- quantile(fit, 0.5)
  list(
    name = name, time = I(time), status = I(status),
    follow_up = list(median = unname(q$quantile), lower = unname(q$lower),
                     upper = unname(q$upper), min = min(time), max = max(time),
                     censored = sum(1 - status)),
    median = list(estimate = unname(qm$quantile), lower = unname(qm$lower),
                  upper = unname(qm$upper)),
    spss_median = spss_median(fit)
  )
}

cases <- list(
  one("lung", lung$time, as.numeric(lung$status == 2)),
  one("veteran", veteran$time, veteran$status),
  one("ovarian", ovarian$futime, ovarian$fustat),
  one("aml", aml$time, aml$status),
  one("all_events", c(3, 5, 5, 8, 12, 13, 20), rep(1, 7)),
  one("all_censored", c(4, 6, 9, 9, 15), rep(0, 5)),
  one("ties_of_events_and_censorings", c(2, 2, 3, 3, 3, 5, 6, 6, 8, 9),
      c(1, 0, 1, 1, 0, 0, 1, 0, 1, 0)),
  one("flat_at_half", c(1, 2, 3, 4, 5, 6), c(1, 1, 1, 0, 1, 0)),
  one("first_event_below_055", c(1, 1, 1, 2, 4, 6, 7), c(1, 1, 1, 1, 0, 1, 0))
)
write_json(cases, file.path(out_dir, "cases.json"),
           digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE)
