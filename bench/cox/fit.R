# R side of the Cox benchmark: reads the CSV (timed separately), then times
# coxph(ties = "efron") from memory. Usage: Rscript fit.R FILE.csv
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
s_read <- system.time(d <- read.csv(args[1]))
s_fit <- system.time(
  f <- coxph(Surv(time, status) ~ age + ki67 + size + liver + male + grade, data = d)
)
t_read <- s_read[["elapsed"]]
t_fit <- s_fit[["elapsed"]]
# CPU time (user + system) of this process.
cpu <- function(s) s[["user.self"]] + s[["sys.self"]]
cat(sprintf("read_s=%.4f fit_s=%.4f read_cpu_s=%.4f fit_cpu_s=%.4f iter=%d loglik=%.6f C=%.6f %s\n", t_read, t_fit, cpu(s_read), cpu(s_fit), f$iter,
            f$loglik[2], f$concordance["concordance"],
            paste(sprintf("%s=%.6f", names(coef(f)), coef(f)), collapse = " ")))
