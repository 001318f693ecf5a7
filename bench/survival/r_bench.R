# Times R's survival on the benchmark CSV: read.csv alone, then survfit + survdiff from memory.
# Usage: Rscript r_bench.R FILE REPEATS   (prints JSON timings in seconds, best of REPEATS)
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
file <- args[1]
repeats <- as.integer(args[2])
best <- function(f) {
  min(vapply(seq_len(repeats), function(i) system.time(f())[["elapsed"]], numeric(1)))
}
cpu <- function(t) t[["user.self"]] + t[["sys.self"]]
tr <- system.time(d <- read.csv(file))
t_read <- tr[["elapsed"]]
d$group <- factor(d$group)  # netra times from group codes too
t_fit <- best(function() {
  fit <- survfit(Surv(time, status) ~ group, data = d)
  s <- summary(fit)$table
  test <- survdiff(Surv(time, status) ~ group, data = d)
  invisible(list(s, test$chisq))
})
# CPU time (user + sys) of one more run, which survives a loaded machine better than wall time
c_fit <- cpu(system.time({
  fit <- survfit(Surv(time, status) ~ group, data = d)
  s <- summary(fit)$table
  test <- survdiff(Surv(time, status) ~ group, data = d)
}))
cat(sprintf('{"read_csv": %.4f, "km_logrank": %.4f, "read_csv_cpu": %.4f, "km_logrank_cpu": %.4f}\n',
            t_read, t_fit, cpu(tr), c_fit))
