# Reference fixtures for the overall test of a factor in a Cox model and for
# subgroup analyses (netra_stats::cox::terms and cox::subgroup).
# Run from validation/ (generate.sh does): Rscript --vanilla r/cox_terms.R
# Writes fixtures/cox_terms/*.json, each holding its inputs and R's results.
#
# Overall test of a term: likelihood ratio from drop1(fit, test = "Chisq")
# (the reduced model refitted on the full model's rows) and the Wald test
# t(b) %*% solve(V) %*% b over the term's non-NA coefficients.
# Subgroups: coxph(~ arm) within each level, and anova(fit0, fit1) of
# ~ arm + factor(g) against ~ arm * factor(g) with the Wald test of the
# arm:g coefficients.
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
out_dir <- file.path("fixtures", "cox_terms")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
unlink(file.path(out_dir, "*.json"))

write_json_file <- function(x, name) {
  write_json(x, file.path(out_dir, paste0(name, ".json")),
             digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE)
}
chisq_list <- function(chisq, df) {
  if (is.na(chisq) || df == 0) return(NA)
  list(chisq = unname(chisq), df = df, p = pchisq(unname(chisq), df, lower.tail = FALSE))
}
wald_of <- function(fit, idx) {
  b <- coef(fit)[idx]
  keep <- idx[!is.na(b)]
  if (length(keep) == 0) return(NA)
  b <- coef(fit)[keep]
  v <- vcov(fit)[keep, keep, drop = FALSE]
  chisq_list(drop(t(b) %*% solve(v, b)), length(keep))
}

# ---- overall test per term -------------------------------------------------
# `terms`: the formula's term labels; columns of the design are mapped to
# their term through attr(model.matrix, "assign").
terms_fixture <- function(name, description, data, time, event, formula, ties = "efron") {
  f <- as.formula(sprintf("Surv(%s, %s) ~ %s", time, event, formula))
  d <- data[complete.cases(data[, all.vars(f)]), all.vars(f)]
  fit <- coxph(f, data = d, ties = ties)
  mm <- model.matrix(fit)
  assign <- attr(mm, "assign")
  labels <- attr(terms(fit), "term.labels")
  dr <- drop1(fit, test = "Chisq")
  tests <- lapply(seq_along(labels), function(k) {
    idx <- which(assign == k)
    row <- dr[labels[k], ]
    lr_df <- sum(!is.na(coef(fit)[idx]))
    list(term = labels[k], columns = I(idx - 1L),
         lr = chisq_list(row[["LRT"]], lr_df),
         wald = wald_of(fit, idx))
  })
  input <- list(time = d[[time]], event = as.integer(d[[event]]),
                names = colnames(mm),
                x = lapply(seq_len(ncol(mm)), function(j) unname(mm[, j])),
                ties = ties)
  write_json_file(list(name = name, description = description, formula = formula,
                       input = input,
                       expected = list(loglik = fit$loglik[2], terms = tests)), name)
  cat(sprintf("%-28s n=%4d terms=%d\n", name, fit$n, length(labels)))
}

lung2 <- lung
lung2$dead <- as.integer(lung2$status == 2)
vet <- veteran

terms_fixture("lung_factor_terms", "age + factor(sex) + factor(ph.ecog) + ph.karno",
              lung2, "time", "dead", "age + factor(sex) + factor(ph.ecog) + ph.karno")
terms_fixture("lung_single_factor", "factor(ph.ecog) alone: the drop1 test is the model's LR",
              lung2, "time", "dead", "factor(ph.ecog)")
terms_fixture("veteran_breslow", "celltype (4 levels) + factor(trt) + karno, Breslow ties",
              vet, "time", "status", "celltype + factor(trt) + karno", ties = "breslow")

# ---- subgroups ---------------------------------------------------------------
effect_of <- function(d) {
  r <- list(n = nrow(d), events = sum(d$e), n_arm = sum(d$a), events_arm = sum(d$e[d$a == 1]))
  if (nrow(d) == 0 || sum(d$e) == 0 || sum(d$a) == 0 || sum(d$a) == nrow(d)) {
    r$coef <- NA
    return(r)
  }
  fit <- coxph(Surv(t, e) ~ a, data = d)
  s <- summary(fit)$coefficients
  ci <- summary(fit)$conf.int
  r$coef <- list(coef = s[1, "coef"], se = s[1, "se(coef)"], hr = s[1, "exp(coef)"],
                 lower = ci[1, "lower .95"], upper = ci[1, "upper .95"],
                 p = s[1, "Pr(>|z|)"])
  r
}
subgroup_fixture <- function(name, description, t, e, a, g, levels) {
  d <- data.frame(t = t, e = as.integer(e), a = as.integer(a),
                  g = match(g, levels) - 1L)
  overall <- effect_of(d)
  per <- lapply(seq_along(levels) - 1L, function(l) effect_of(d[!is.na(d$g) & d$g == l, ]))
  d2 <- d[!is.na(d$g), ]
  d2$g <- factor(d2$g)
  fit0 <- coxph(Surv(t, e) ~ a + g, data = d2)
  fit1 <- coxph(Surv(t, e) ~ a * g, data = d2)
  an <- anova(fit0, fit1)
  idx <- grep(":", names(coef(fit1)))
  interaction <- list(n = nrow(d2),
                      lr = chisq_list(an$Chisq[2], an$Df[2]),
                      lr_p_anova = an[["Pr(>|Chi|)"]][2],
                      wald = wald_of(fit1, idx))
  write_json_file(list(name = name, description = description,
                       input = list(time = t, event = as.integer(e), arm = as.integer(a),
                                    level = d$g, levels = levels),
                       expected = list(overall = overall, levels = per,
                                       interaction = interaction)), name)
  cat(sprintf("%-28s n=%4d levels=%d\n", name, nrow(d), length(levels)))
}

# Sex within ECOG performance status (3 merged into 2; one patient has no
# ECOG: in the overall model only).
ecog <- ifelse(is.na(lung2$ph.ecog), NA, as.character(pmin(lung2$ph.ecog, 2)))
subgroup_fixture("lung_sex_by_ecog", "female vs male within ECOG 0, 1, 2+",
                 lung2$time, lung2$dead, lung2$sex == 2, ecog, c("0", "1", "2"))
subgroup_fixture("lung_sex_by_age65", "female vs male within age < 65 and >= 65",
                 lung2$time, lung2$dead, lung2$sex == 2,
                 ifelse(lung2$age >= 65, "65+", "<65"), c("<65", "65+"))
subgroup_fixture("veteran_trt_by_celltype",
                 "test vs standard chemotherapy within cell type; an empty level",
                 vet$time, vet$status, vet$trt == 2, as.character(vet$celltype),
                 c("squamous", "smallcell", "adeno", "large", "none"))
