# Reference fixtures for issue 16's response outcomes (netra_analysis
# analyses `markers`, `durations` and the composite outcome of the
# radionuclide study file).
# Run from validation/ (generate.sh does): Rscript --vanilla r/response_outcomes.R
# Writes fixtures/response_outcomes/*.json, each holding its inputs and R's results.
#
# markers.json — biochemical response computed here from raw marker values:
#   baseline = last value on or before time zero (else the first within 30
#   days after), best = lowest later value, change = 100 (best - base) / base;
#   falls >= 20% and >= 50% as binom.test (Clopper-Pearson) rates among
#   patients with a change; normalisation among those whose baseline was
#   above its upper limit: a later value at or below its own limit.
# durations.json — duration of stable disease in group A of the radionuclide
#   study (examples/radionuclide-2004/patients.csv), from the first
#   administration to the end of the published response duration: an event
#   when the duration is shorter than the follow-up, else censored. Times are
#   whole days on the bundle's calendar (round(months * 30.4375), R's and
#   Python's round both halve to even) in months of 30.4375 days;
#   survfit(Surv(time, event) ~ 1) median with its default log interval.
# beneficial.json — the published "therapy beneficial" count of group A.
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
out_dir <- file.path("fixtures", "response_outcomes")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
unlink(file.path(out_dir, "*.json"))
write_json_file <- function(x, name) {
  write_json(x, file.path(out_dir, paste0(name, ".json")),
             digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE)
}

# ---- markers ---------------------------------------------------------------
# Days relative to time zero (study entry 2000-01-01). uln NA: not recorded.
samples <- data.frame(
  patient = c("m1","m1","m1", "m2","m2", "m3","m3","m3", "m4","m4", "m5","m5",
              "m6", "m7","m7", "m8","m8","m8", "m9","m9", "m10","m10","m10",
              "m11","m11", "m12","m12"),
  day     = c(-20, 90, 180,   -5, 100,  10, 95, 200,  -40, 60,  -1, 120,
              0,   -3, 85,    -60, -10, 150,  -2, 91,   0, 30, 300,
              -7, 70,  45, 100),
  value   = c(400, 150, 90,   80, 70,   300, 310, 290,  50, 12,  1000, 100,
              120, 200, 200,  90, 300, 140,  60, 45,   500, 260, 240,
              250, 251, 100, 20),
  uln     = c(100, 100, 100,  100, 100, 100, 100, 100,  30, 30,  100, 100,
              100, NA, NA,    100, 100, 100, 100, 100, 150, 150, 150,
              100, 100, 100, 100)
)
best_of <- function(s) {
  s <- s[order(s$day), ]
  before <- which(s$day <= 0)
  base <- if (length(before)) max(before) else {
    after <- which(s$day > 0 & s$day <= 30)
    if (length(after)) min(after) else NA
  }
  if (is.na(base)) return(NULL)
  later <- s[s$day > s$day[base], ]
  change <- if (nrow(later)) 100 * (min(later$value) - s$value[base]) / s$value[base] else NA
  norm <- if (is.na(s$uln[base]) || s$value[base] <= s$uln[base] || !nrow(later)) NA else {
    known <- later[!is.na(later$uln), ]
    if (!nrow(known)) NA else any(known$value <= known$uln)
  }
  list(change = change, normalised = norm)
}
per <- lapply(split(samples, samples$patient), best_of)
per <- per[!vapply(per, is.null, logical(1))]
changes <- vapply(per, function(r) r$change, numeric(1))
changes <- changes[!is.na(changes)]
norm <- vapply(per, function(r) if (is.na(r$change)) NA else r$normalised, logical(1))
norm <- norm[!is.na(norm)]
rate <- function(x, n) {
  t <- binom.test(x, n)
  list(count = x, n = n, estimate = x / n, lower = t$conf.int[1], upper = t$conf.int[2])
}
write_json_file(list(
  samples = samples,
  with_baseline = length(per),
  evaluable = length(changes),
  changes = as.list(changes),
  fall_20 = rate(sum(changes <= -20), length(changes)),
  fall_50 = rate(sum(changes <= -50), length(changes)),
  normalised = rate(sum(norm), length(norm)),
  median_change = median(changes)
), "markers")

# ---- durations of stable disease (radionuclide study) ---------------------
rn <- read.csv(file.path("..", "examples", "radionuclide-2004", "patients.csv"),
               stringsAsFactors = FALSE)
a <- rn[rn$group == "A" & rn$excluded == 0 & rn$radiologic_response_3m == "Stabilization", ]
d <- a$radiologic_response_duration_months
time <- round(d * 30.4375) / 30.4375
event <- as.integer(d < a$followup_months)
fit <- survfit(Surv(time, event) ~ 1)
tab <- summary(fit)$table
write_json_file(list(
  patients = a$patient, time = time, event = event,
  n = length(time), events = sum(event),
  median = unname(tab["median"]), lower = unname(tab["0.95LCL"]),
  upper = unname(tab["0.95UCL"])
), "durations")

# ---- composite outcome: "therapy beneficial" in group A -------------------
ga <- rn[rn$group == "A" & rn$excluded == 0, ]
write_json_file(list(
  analysed = nrow(ga),
  beneficial = sum(ga$global_response == "Beneficial"),
  patients = ga$patient[ga$global_response == "Beneficial"]
), "beneficial")
