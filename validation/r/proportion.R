# Reference fixtures for the intervals of a proportion (issue 16): the six
# methods of netra_stats::classical::binomial::proportion. Clopper–Pearson
# and Wilson (with and without continuity correction) are R's own
# binom.test and prop.test; Wald, Agresti–Coull and Jeffreys are the
# formulas of Brown, Cai & DasGupta (2001) evaluated with qnorm/qbeta, as
# the Rust module documents them (limits clipped to [0, 1]; Jeffreys 0 at
# x = 0 and 1 at x = n). Writes validation/fixtures/proportion/intervals.json.
suppressPackageStartupMessages(library(jsonlite))

root <- if (dir.exists("validation")) "." else ".."
out_dir <- file.path(root, "validation", "fixtures", "proportion")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

cases <- list(
  c(0, 10, 0.95), c(10, 10, 0.95), c(0, 1, 0.95), c(1, 1, 0.95),
  c(1, 19, 0.95), c(3, 10, 0.95), c(6, 12, 0.95), c(17, 19, 0.95),
  c(18, 53, 0.95), c(34, 53, 0.99), c(4, 30, 0.9), c(400, 1000, 0.95),
  c(1, 200, 0.95), c(199, 200, 0.95), c(0, 250, 0.8), c(5, 5, 0.99)
)

clip <- function(v) c(max(0, v[1]), min(1, v[2]))
wald <- function(x, n, conf) {
  z <- qnorm(1 - (1 - conf) / 2); p <- x / n
  clip(p + c(-1, 1) * z * sqrt(p * (1 - p) / n))
}
agresti_coull <- function(x, n, conf) {
  z <- qnorm(1 - (1 - conf) / 2); nt <- n + z^2; pt <- (x + z^2 / 2) / nt
  clip(pt + c(-1, 1) * z * sqrt(pt * (1 - pt) / nt))
}
jeffreys <- function(x, n, conf) {
  a <- 1 - conf
  c(if (x == 0) 0 else qbeta(a / 2, x + 0.5, n - x + 0.5),
    if (x == n) 1 else qbeta(1 - a / 2, x + 0.5, n - x + 0.5))
}
pair <- function(v) list(lower = v[1], upper = v[2])

fixture <- lapply(cases, function(k) {
  x <- k[1]; n <- k[2]; conf <- k[3]
  list(
    x = x, n = n, conf = conf,
    estimate = x / n,
    clopper_pearson = pair(binom.test(x, n, conf.level = conf)$conf.int),
    wilson = pair(suppressWarnings(prop.test(x, n, conf.level = conf, correct = FALSE))$conf.int),
    wilson_cc = pair(suppressWarnings(prop.test(x, n, conf.level = conf, correct = TRUE))$conf.int),
    wald = pair(wald(x, n, conf)),
    agresti_coull = pair(agresti_coull(x, n, conf)),
    jeffreys = pair(jeffreys(x, n, conf))
  )
})
write_json(fixture, file.path(out_dir, "intervals.json"),
           digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE)
