# Reference fixture for the study-file pipeline (issue 7): the radionuclide
# study of examples/studies/radionuclide.toml computed by R from the published
# per-patient table, plus a Cox model the test adds to the study. Writes
# validation/fixtures/study/radionuclide.json. Run from the repository root
# (Rscript validation/r/study.R) or from validation/.
#
# The study reads the registry bundle, whose dates place the published months
# on a synthetic calendar rounded to the day: the order of the times (hence
# the log-rank test, the Kaplan-Meier steps and the Cox model) is the
# published data's; medians and follow-up differ by less than half a day and
# are not compared here. Years from diagnosis are stored as month-precision
# dates and are not compared either.
suppressPackageStartupMessages({
  library(jsonlite)
  library(survival)
})

root <- if (dir.exists("validation")) "." else ".."
out_dir <- file.path(root, "validation", "fixtures", "study")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

pts <- read.csv(file.path(root, "examples", "radionuclide-2004", "patients.csv"))
d <- pts[is.na(pts$excluded) | pts$excluded != 1, ]
stopifnot(nrow(d) == 31)
d$group <- factor(d$group, levels = c("A", "B"))
d$death <- as.integer(!is.na(d$death_months))
d$os <- ifelse(d$death == 1, d$death_months, d$followup_months)
has <- function(col, code) grepl(paste0("(^|;)", code, "(;|$)"), col)

chisq_p <- function(x) {
  suppressWarnings(chisq.test(table(x, d$group), correct = TRUE)$p.value)
}
t_p <- function(x) t.test(x ~ d$group, var.equal = TRUE)$p.value

# Table 1: p of each row the study declares with the test it names.
rows <- list(
  age = t_p(d$age),
  age60 = chisq_p(d$age >= 60),
  sex = chisq_p(d$sex),
  primary_group = chisq_p(d$primary_site),
  reported_type = chisq_p(d$primary_tumor),
  liver_metastases = chisq_p(has(d$metastatic_sites, "L")),
  lymph_node_metastases = chisq_p(has(d$metastatic_sites, "N")),
  bone_metastases = chisq_p(has(d$metastatic_sites, "B")),
  received.surgery = chisq_p(has(d$previous_treatment, "Sur")),
  received.chemotherapy = chisq_p(has(d$previous_treatment, "Chem")),
  received.external_radiotherapy = chisq_p(has(d$previous_treatment, "Rad")),
  received.tace = chisq_p(has(d$previous_treatment, "ChEmb")),
  krenning_uptake = t_p(d$pentetreotide_uptake_grade)
)

fit <- survfit(Surv(os, death) ~ group, data = d)
s <- summary(fit, times = c(12, 24, 36), extend = TRUE)
curves <- lapply(c("A", "B"), function(g) {
  k <- s$strata == paste0("group=", g)
  list(group = g, n = sum(d$group == g), events = sum(d$death[d$group == g]),
       survival = I(ifelse(s$n.risk[k] > 0 | s$time[k] <= max(d$os[d$group == g]),
                           s$surv[k], NA)))
})
lr <- survdiff(Surv(os, death) ~ group, data = d)

# Cox: each variable alone, then together (reference levels as the study:
# group A, age < 60, male).
d$age60 <- factor(ifelse(d$age >= 60, "ge60", "lt60"), levels = c("lt60", "ge60"))
d$sex <- factor(d$sex, levels = c("M", "F"))
cox_terms <- function(f) {
  m <- summary(coxph(f, data = d))
  lapply(seq_len(nrow(m$coefficients)), function(i) list(
    name = rownames(m$coefficients)[i],
    hr = unname(m$conf.int[i, "exp(coef)"]),
    lower = unname(m$conf.int[i, "lower .95"]),
    upper = unname(m$conf.int[i, "upper .95"]),
    p = unname(m$coefficients[i, "Pr(>|z|)"])))
}
cox <- list(
  univariate = c(cox_terms(Surv(os, death) ~ group), cox_terms(Surv(os, death) ~ age60),
                 cox_terms(Surv(os, death) ~ sex)),
  multivariate = cox_terms(Surv(os, death) ~ group + age60 + sex)
)

write_json(list(
  source = "examples/radionuclide-2004/patients.csv, patient 20 excluded",
  r_version = paste(R.version$major, R.version$minor, sep = "."),
  survival_version = as.character(packageVersion("survival")),
  table1_p = rows,
  os = list(curves = curves, logrank = list(chisq = lr$chisq, df = length(lr$n) - 1,
                                            p = pchisq(lr$chisq, length(lr$n) - 1, lower.tail = FALSE))),
  cox = cox
), file.path(out_dir, "radionuclide.json"), digits = NA, auto_unbox = TRUE, na = "null",
pretty = TRUE)
