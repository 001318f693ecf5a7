# Reference fixtures for Cox regression: coxph, summary.coxph, cox.zph,
# finegray. Run from validation/ (generate.sh does): Rscript --vanilla r/cox.R
# Writes fixtures/cox/*.json, each holding the input columns and R's results.
#
# Names: R's coefficient names are mapped to netra's convention
# (factor(x)LEVEL -> x=LEVEL, a bare text column x with level L -> x=L).
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
out_dir <- file.path("fixtures", "cox")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
unlink(file.path(out_dir, "*.json"))

write_json_file <- function(x, name) {
  write_json(x, file.path(out_dir, paste0(name, ".json")),
             digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE)
}

# netra's name for an R coefficient name.
netra_name <- function(nm, text_levels) {
  nm <- gsub("relevel\\(factor\\(([^()]+)\\), ref = [^)]*\\)([^:]*)", "\\1=\\2", nm)
  nm <- gsub("factor\\(([^()]+)\\)([^:]*)", "\\1=\\2", nm)
  parts <- strsplit(nm, ":", fixed = TRUE)[[1]]
  for (v in names(text_levels)) {
    full <- paste0(v, text_levels[[v]])
    hit <- match(parts, full)
    parts[!is.na(hit)] <- paste0(v, "=", text_levels[[v]][hit[!is.na(hit)]])
  }
  paste(parts, collapse = ":")
}

nn <- function(x) if (is.null(x)) NA else x
test_list <- function(chisq, df) list(chisq = unname(chisq), df = df,
                                      p = pchisq(unname(chisq), df, lower.tail = FALSE))

# One fixture: data has the used columns; event is 0/1.
cox_fixture <- function(name, description, data, time, event, formula,
                        start = NULL, weights = NULL, cluster = NULL,
                        ties = "efron", refs = list(), zph = TRUE,
                        schoenfeld = FALSE, conf_level = 0.95, robust = NULL,
                        iter_max = NULL) {
  rhs_vars <- all.vars(as.formula(paste("~", formula)))
  used <- unique(c(start, time, event, rhs_vars, weights, cluster))
  d <- data[complete.cases(data[, used]), used, drop = FALSE]
  text_vars <- used[sapply(d[used], is.character)]
  text_levels <- setNames(lapply(text_vars, function(v) unique(d[[v]])), text_vars)
  input_cols <- lapply(d, function(v) if (is.factor(v)) as.character(v) else v)
  fit_data <- d
  for (v in names(refs)) fit_data[[v]] <- relevel(factor(fit_data[[v]]), ref = refs[[v]])
  surv <- if (is.null(start)) sprintf("Surv(%s, %s)", time, event)
          else sprintf("Surv(%s, %s, %s)", start, time, event)
  call_text <- sprintf("coxph(%s ~ %s, data = fit_data, ties = '%s'%s%s%s%s)",
                       surv, formula, ties,
                       if (is.null(weights)) "" else sprintf(", weights = %s", weights),
                       if (is.null(cluster)) "" else sprintf(", cluster = %s", cluster),
                       if (is.null(robust)) "" else sprintf(", robust = %s", robust),
                       if (is.null(iter_max)) "" else
                         sprintf(", control = coxph.control(iter.max = %d)", iter_max))
  warns <- character(0)
  fit <- withCallingHandlers(eval(parse(text = call_text)),
                             warning = function(w) {
                               warns <<- c(warns, conditionMessage(w))
                               invokeRestart("muffleWarning")
                             })
  s <- summary(fit, conf.int = conf_level)
  beta <- coef(fit)
  robust_used <- !is.null(fit$naive.var)
  nvar <- length(beta)
  se <- sqrt(diag(if (robust_used) fit$naive.var else fit$var))
  rse <- if (robust_used) sqrt(diag(fit$var)) else rep(NA, nvar)
  use_se <- if (robust_used) rse else se
  zq <- qnorm((1 + conf_level) / 2)
  terms <- lapply(seq_len(nvar), function(j) {
    b <- unname(beta[j])
    na <- is.na(b)
    list(name = netra_name(names(beta)[j], text_levels),
         coef = b,
         se = if (na) NA else unname(se[j]),
         robust_se = if (na) NA else unname(rse[j]),
         hr = exp(b),
         hr_lower = exp(b - zq * use_se[j]), hr_upper = exp(b + zq * use_se[j]),
         z = if (na) NA else b / unname(use_se[j]),
         p = if (na) NA else pchisq((b / unname(use_se[j]))^2, 1, lower.tail = FALSE))
  })
  df <- sum(!is.na(beta))
  expected <- list(
    n = fit$n, events = fit$nevent, terms = terms,
    loglik_null = fit$loglik[1], loglik = fit$loglik[2],
    lr_test = test_list(2 * (fit$loglik[2] - fit$loglik[1]), df),
    wald_test = test_list(fit$wald.test, df),
    score_test = test_list(fit$score, df),
    robust_score_test = if (is.null(fit$rscore)) NA else test_list(fit$rscore, df),
    concordance = list(c = unname(fit$concordance["concordance"]),
                       std_err = unname(fit$concordance["std"])),
    iterations = fit$iter, robust = robust_used,
    warnings = as.list(warns),
    var = unname(as.vector(fit$var)))
  if (zph) {
    expected$zph <- lapply(c("km", "rank", "identity"), function(tr) {
      z <- cox.zph(fit, transform = tr)
      tab <- z$table
      k <- nrow(tab)
      r <- list(transform = tr,
                terms = lapply(seq_len(k - 1), function(i)
                  list(name = rownames(tab)[i], chisq = tab[i, 1], df = tab[i, 2], p = tab[i, 3])),
                global = list(chisq = tab[k, 1], df = tab[k, 2], p = tab[k, 3]))
      if (schoenfeld && tr == "km") {
        r$schoenfeld <- list(time = z$time, x = z$x,
                             residuals = lapply(seq_len(ncol(z$y)), function(j) unname(z$y[, j])))
      }
      r
    })
  }
  if (startsWith(name, "synthetic_")) input_cols <- list(synthetic = nrow(d))
  input <- list(columns = input_cols, time = time, event = event, start = nn(start),
                 weights = nn(weights), cluster = nn(cluster), formula = formula,
                 ties = ties, refs = if (length(refs)) refs else setNames(list(), character(0)),
                 conf_level = conf_level, robust = nn(robust))
  if (!is.null(iter_max)) input$iter_max <- iter_max
  write_json_file(list(name = name, description = description, input = input,
                       expected = expected), name)
  cat(sprintf("%-32s n=%5d p=%2d iter=%2d %s\n", name, fit$n, nvar, fit$iter,
              paste(warns, collapse = " | ")))
}

# ---- data ------------------------------------------------------------------
lung2 <- lung
lung2$dead <- as.integer(lung2$status == 2)
lung2$inst <- as.integer(lung2$inst)

vet <- veteran
vet$celltype <- as.character(vet$celltype)

col <- colon
col$rx <- as.character(col$rx)

pbc2 <- pbc
pbc2$dead <- as.integer(pbc2$status == 2)
pbc2$sex <- as.character(pbc2$sex)
pbc2$logbili <- log(pbc2$bili)
pbc2$logprotime <- log(pbc2$protime)

rot <- rotterdam
rot$size <- as.character(rot$size)

hrt <- heart
hrt$transplant <- as.integer(as.character(hrt$transplant))

# ---- right-censored ----------------------------------------------------------
cox_fixture("lung_efron", "the README example: age + factor(sex) + ph.ecog",
            lung2, "time", "dead", "age + factor(sex) + ph.ecog", schoenfeld = TRUE)
cox_fixture("lung_breslow", "as lung_efron with Breslow ties",
            lung2, "time", "dead", "age + factor(sex) + ph.ecog", ties = "breslow",
            schoenfeld = TRUE)
cox_fixture("lung_factor_ref", "factor with 4 levels, reference level chosen",
            lung2, "time", "dead", "age + sex + factor(ph.ecog)", refs = list(ph.ecog = "1"),
            schoenfeld = TRUE)
cox_fixture("lung_transforms",
            "terms computed as R users write them: I(age/10), log(meal.cal), I((age - 60)^2/100)",
            lung2, "time", "dead",
            "I(age/10) + log(meal.cal) + I((age - 60)^2/100) + factor(sex)")
cox_fixture("lung_relevel", "relevel(factor(ph.ecog), ref = \"1\") in the formula",
            lung2, "time", "dead", "age + relevel(factor(ph.ecog), ref = \"1\")")
cox_fixture("lung_strata", "strata(inst) with wt.loss",
            lung2, "time", "dead", "age + factor(sex) + wt.loss + strata(inst)")
cox_fixture("lung_strata_breslow", "strata(inst), Breslow",
            lung2, "time", "dead", "age + factor(sex) + ph.karno + strata(inst)",
            ties = "breslow")
cox_fixture("lung_interaction", "crossing age*factor(sex)",
            lung2, "time", "dead", "age*factor(sex) + ph.karno")
cox_fixture("lung_interaction_only", "age:factor(sex) alone: every level of sex coded",
            lung2, "time", "dead", "age:factor(sex) + ph.ecog")
cox_fixture("lung_interaction_numeric", "product of two numeric columns",
            lung2, "time", "dead", "age + ph.karno + age:ph.karno + factor(sex)")
cox_fixture("lung_cluster", "robust variance, cluster = inst",
            lung2, "time", "dead", "age + factor(sex) + ph.ecog", cluster = "inst")
cox_fixture("lung_cluster_breslow", "robust variance, cluster = inst, Breslow",
            lung2, "time", "dead", "age + factor(sex) + ph.ecog", cluster = "inst",
            ties = "breslow")
lung2$w <- round(0.5 + (lung2$age %% 7) / 4 + (seq_len(nrow(lung2)) %% 3) / 10, 2)
cox_fixture("lung_weights", "non-integer case weights (robust by default, as R)",
            lung2, "time", "dead", "age + factor(sex) + ph.ecog", weights = "w")
lung2$wi <- 1 + (seq_len(nrow(lung2)) %% 3)
cox_fixture("lung_weights_integer", "integer case weights (model-based variance)",
            lung2, "time", "dead", "age + factor(sex) + ph.ecog", weights = "wi")
cox_fixture("lung_weights_breslow_strata", "weights, strata and Breslow",
            lung2, "time", "dead", "age + ph.ecog + strata(sex)", weights = "w",
            ties = "breslow")
cox_fixture("lung_level90", "confidence level 0.9",
            lung2, "time", "dead", "age + factor(sex)", conf_level = 0.9, zph = FALSE)
lung2$sep <- as.integer(lung2$time < 200 & lung2$dead == 1)
cox_fixture("lung_monotone", "a covariate that separates: infinite coefficient warning",
            lung2, "time", "dead", "age + sep", zph = FALSE)
lung2$const <- 1
cox_fixture("lung_constant", "a zero-variance covariate: NA coefficient",
            lung2, "time", "dead", "age + const + factor(sex)", zph = FALSE)
lung2$age2 <- 2 * lung2$age + 3
cox_fixture("lung_collinear", "a covariate collinear with another: NA coefficient",
            lung2, "time", "dead", "age + ph.ecog + age2", zph = FALSE)
# Degenerate fits (issue 13). Out of iterations, coxph.fit marks no column
# as singular (coxfit6's flag is 1000, not the rank): a constant column keeps
# the coefficient 0 with se 0 and the tests keep its degree of freedom.
nc <- data.frame(time = c(5, 3, 9, 7, 4, 4, 3, 8), status = c(1, 0, 1, 0, 1, 1, 0, 1),
                 x = c(1.3, -0.5, -0.6, 0.9, 1.0, 0.7, -0.6, 0.5),
                 g = c(0, 0, 1, 1, 0, 0, 1, 1))
nc$const <- 1
nc$g2 <- 2 * nc$g + 1
cox_fixture("tiny_not_converged", "g separates: out of 20 iterations (Ran out of iterations)",
            nc, "time", "status", "x + g", zph = FALSE)
cox_fixture("tiny_not_converged_constant",
            "out of iterations with a constant column: R's coefficient 0 (not NA), 3 df",
            nc, "time", "status", "x + g + const", zph = FALSE)
cox_fixture("tiny_not_converged_collinear",
            "out of iterations with a collinear column: coefficient 0, se from the diagonal",
            nc, "time", "status", "x + g + g2", zph = FALSE)
cox_fixture("lung_constant_iter1", "iter.max = 1 with a constant column: 0, not NA, 2 df",
            lung2, "time", "dead", "age + const", zph = FALSE, iter_max = 1L)
cox_fixture("lung_collinear_monotone", "a separating and a collinear column together",
            lung2, "time", "dead", "age + sep + age2", zph = FALSE)
# A covariate's scale against R's Cholesky tolerance: with age in seconds its
# variance is below toler.chol times the largest, coxph.wtest drops it and the
# Wald test differs from the likelihood-ratio and score tests.
lung2$age_seconds <- lung2$age * 365.25 * 24 * 3600
cox_fixture("lung_age_seconds", "age in seconds: the Wald test leaves age out (9.39 vs LR 14.1)",
            lung2, "time", "dead", "age_seconds + factor(sex)", zph = FALSE)
# Age in days with a level whose coefficient runs to -Inf (its variance is
# huge): Wald p = 0.47 where the likelihood-ratio and score tests give 0.015.
set.seed(2024)
n_sc <- 80
age_sc <- round(rnorm(n_sc, 62, 10))
site_sc <- sample(c("pancreas", "ileum"), n_sc, TRUE)
site_sc[1:2] <- "other"
t_sc <- round(rexp(n_sc, 0.02 * exp(0.04 * (age_sc - 62))))
c_sc <- round(runif(n_sc, 10, 120))
sc <- data.frame(time = pmin(t_sc, c_sc), status = as.integer(t_sc <= c_sc),
                 age_days = age_sc * 365 + sample(0:364, n_sc, TRUE), site = site_sc,
                 stringsAsFactors = FALSE)
sc$status[1:2] <- 0
sc$time[1:2] <- c(3, 5)
sc$age_years <- sc$age_days / 365.25
cox_fixture("scale_age_days", "age in days and a level running to -Inf: Wald p 0.47, LR p 0.015",
            sc, "time", "status", "age_days + site", zph = FALSE)
cox_fixture("scale_age_years", "the same model with age in years: the three tests agree",
            sc, "time", "status", "age_years + site", zph = FALSE)
lung2$tcoarse <- ceiling(lung2$time / 90)
cox_fixture("lung_heavy_ties_efron", "times in quarters: many tied events and censorings",
            lung2, "tcoarse", "dead", "age + factor(sex) + ph.ecog")
cox_fixture("lung_heavy_ties_breslow", "heavy ties, Breslow",
            lung2, "tcoarse", "dead", "age + factor(sex) + ph.ecog", ties = "breslow")
cox_fixture("lung_heavy_ties_weights", "heavy ties with non-integer weights",
            lung2, "tcoarse", "dead", "age + factor(sex)", weights = "w")

cox_fixture("veteran_efron", "text factor with 4 levels (celltype)",
            vet, "time", "status", "trt + celltype + karno + diagtime + age + prior",
            schoenfeld = TRUE)
cox_fixture("veteran_breslow", "veteran, Breslow",
            vet, "time", "status", "trt + celltype + karno + diagtime + age + prior",
            ties = "breslow")
cox_fixture("veteran_ref", "text factor with a chosen reference",
            vet, "time", "status", "factor(celltype) + karno", refs = list(celltype = "squamous"))

cox_fixture("colon_cluster_id", "two records per patient, cluster = id, strata(etype)",
            col, "time", "status", "rx + sex + age + nodes + strata(etype)", cluster = "id",
            zph = TRUE)
cox_fixture("colon_factor_interaction", "factor x factor interaction",
            col[col$etype == 2, ], "time", "status", "rx + factor(differ) + rx:factor(differ) + age")

cox_fixture("pbc_efron", "continuous covariates (Mayo model)",
            pbc2, "time", "dead", "age + edema + logbili + albumin + logprotime",
            schoenfeld = TRUE)
cox_fixture("pbc_breslow_text", "text sex, factor(stage), Breslow",
            pbc2, "time", "dead", "age + sex + factor(stage) + logbili", ties = "breslow")

cox_fixture("rotterdam_efron", "2982 patients, text size factor",
            rot, "dtime", "death", "age + meno + size + grade + nodes + pgr + er + hormon + chemo")
cox_fixture("rotterdam_ref_strata", "size with reference <=20, strata(hormon)",
            rot, "dtime", "death", "age + size + nodes + strata(hormon)",
            refs = list(size = "<=20"))

tiny <- data.frame(time = c(5, 5, 5, 5, 5, 5, 8, 8, 8, 8, 12, 12),
                   status = c(1, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1, 0),
                   x = c(0.5, 1.2, -0.3, 2.0, 0.1, 0.9, -1.1, 0.4, 1.7, -0.6, 0.2, 1.0),
                   g = c("a", "b", "a", "b", "c", "c", "a", "b", "c", "a", "b", "c"))
cox_fixture("tiny_ties_efron", "12 rows, events and censorings tied at every time",
            tiny, "time", "status", "x + g", zph = FALSE)
cox_fixture("tiny_ties_breslow", "12 rows, ties, Breslow",
            tiny, "time", "status", "x + g", ties = "breslow", zph = FALSE)

# Large enough (150 000 rows) for the two-thread code paths. Built from
# integer recipes so that netra's test rebuilds the same data exactly (the
# fixture stores no columns).
synthetic <- function(n) {
  i <- as.numeric(seq_len(n))
  g <- i %% 4
  x2 <- as.numeric(i %% 3 == 0)
  base <- (i * 48271) %% 2999 + 1
  data.frame(
    time = base %/% (1 + x2 + g) + (i * 7919) %% 1000 %/% 100,
    status = as.numeric((i * 16807) %% 10 < 6),
    x1 = ((i * 7919) %% 1000) / 100,
    x2 = x2,
    x3 = ((i * 104729) %% 997) / 997 * 4 - 2,
    g = g,
    s = i %% 2,
    cl = i %/% 3)
}
big <- synthetic(150000)
cox_fixture("synthetic_150k_efron", "150 000 rows: the two-thread likelihood and concordance",
            big, "time", "status", "x1 + x2 + x3 + factor(g)", zph = TRUE)
cox_fixture("synthetic_150k_breslow_strata_cluster", "150 000 rows, strata, clusters, Breslow",
            big, "time", "status", "x1 + x2 + x3 + factor(g) + strata(s)", cluster = "cl",
            ties = "breslow", zph = FALSE)

# ---- (start, stop] -------------------------------------------------------------
cox_fixture("heart_efron", "time-varying transplant, counting process",
            hrt, "stop", "event", "age + year + surgery + transplant", start = "start",
            schoenfeld = TRUE)
cox_fixture("heart_breslow", "counting process, Breslow",
            hrt, "stop", "event", "age + year + surgery + transplant", start = "start",
            ties = "breslow")
cox_fixture("heart_cluster", "counting process, cluster = id",
            hrt, "stop", "event", "age + year + surgery + transplant", start = "start",
            cluster = "id")
cox_fixture("heart_strata", "counting process, strata(surgery), interaction",
            hrt, "stop", "event", "age*transplant + year + strata(surgery)", start = "start")
lung2$entry <- floor(pmin(lung2$time / 3, 60))
cox_fixture("lung_left_truncated", "delayed entry (start > 0 for most rows)",
            lung2, "time", "dead", "age + factor(sex) + ph.ecog", start = "entry")
lung2$entry2 <- floor(lung2$tcoarse / 2)
cox_fixture("lung_left_truncated_ties", "delayed entry with heavy ties and weights",
            lung2, "tcoarse", "dead", "age + factor(sex)", start = "entry2",
            weights = "w")

# ---- Fine-Gray -----------------------------------------------------------------
# finegray() then the weighted coxph of its vignette. The fixture holds the
# original rows; netra expands them itself.
fg_fixture <- function(name, description, data, time, status, cause, censor, formula,
                       strata = NULL, weights = NULL, cluster_id = FALSE, ties = "efron") {
  rhs_vars <- all.vars(as.formula(paste("~", formula)))
  used <- unique(c(time, status, rhs_vars, strata, weights))
  d <- data[complete.cases(data[, used]), used, drop = FALSE]
  d$.id <- seq_len(nrow(d))
  codes <- sort(unique(d[[status]]))
  d$.fstat <- factor(d[[status]], levels = c(censor, setdiff(codes, censor)))
  fg_form <- sprintf("Surv(%s, .fstat) ~ .%s", time,
                     if (is.null(strata)) "" else sprintf(" + strata(%s)", strata))
  pdata <- if (is.null(weights)) {
    finegray(as.formula(fg_form), data = d, etype = as.character(cause))
  } else {
    eval(parse(text = sprintf("finegray(as.formula(fg_form), data = d, etype = as.character(cause), weights = %s)", weights)))
  }
  if (!is.null(strata)) pdata[[strata]] <- d[[strata]][pdata$.id]
  call_text <- sprintf("coxph(Surv(fgstart, fgstop, fgstatus) ~ %s%s, weights = fgwt, data = pdata, ties = '%s'%s)",
                       formula, if (is.null(strata)) "" else sprintf(" + strata(%s)", strata),
                       ties, if (cluster_id) ", cluster = .id" else "")
  warns <- character(0)
  fit <- withCallingHandlers(eval(parse(text = call_text)),
                             warning = function(w) {
                               warns <<- c(warns, conditionMessage(w))
                               invokeRestart("muffleWarning")
                             })
  beta <- coef(fit)
  robust_used <- !is.null(fit$naive.var)
  se <- sqrt(diag(if (robust_used) fit$naive.var else fit$var))
  rse <- if (robust_used) sqrt(diag(fit$var)) else rep(NA, length(beta))
  use_se <- if (robust_used) rse else se
  text_vars <- used[sapply(d[used], is.character)]
  text_levels <- setNames(lapply(text_vars, function(v) unique(d[[v]])), text_vars)
  terms <- lapply(seq_along(beta), function(j) {
    b <- unname(beta[j])
    list(name = netra_name(names(beta)[j], text_levels), coef = b, se = unname(se[j]),
         robust_se = unname(rse[j]), hr = exp(b),
         hr_lower = exp(b - qnorm(0.975) * use_se[j]), hr_upper = exp(b + qnorm(0.975) * use_se[j]),
         z = b / unname(use_se[j]),
         p = pchisq((b / unname(use_se[j]))^2, 1, lower.tail = FALSE))
  })
  df <- sum(!is.na(beta))
  input_cols <- lapply(d[used], function(v) if (is.factor(v)) as.character(v) else v)
  if (startsWith(name, "synthetic_")) input_cols <- list(synthetic = nrow(d))
  write_json_file(list(
    name = name, description = description,
    input = list(columns = input_cols, time = time, status = status, cause = cause,
                 censor = censor, formula = formula, strata = nn(strata), weights = nn(weights),
                 cluster_id = cluster_id, ties = ties),
    expected = list(
      expanded_rows = nrow(pdata),
      checksums = list(fgstart = sum(pdata$fgstart), fgstop = sum(pdata$fgstop),
                       fgwt = sum(pdata$fgwt), fgstatus = sum(pdata$fgstatus),
                       fgwt_fgstop = sum(pdata$fgwt * pdata$fgstop),
                       row_fgwt = sum(pdata$.id * pdata$fgwt)),
      head = lapply(pdata[seq_len(min(300, nrow(pdata))), c(".id", "fgstart", "fgstop", "fgstatus", "fgwt")],
                    unname),
      n = fit$n, events = fit$nevent, terms = terms,
      loglik_null = fit$loglik[1], loglik = fit$loglik[2],
      lr_test = test_list(2 * (fit$loglik[2] - fit$loglik[1]), df),
      wald_test = test_list(fit$wald.test, df),
      score_test = test_list(fit$score, df),
      robust_score_test = if (is.null(fit$rscore)) NA else test_list(fit$rscore, df),
      concordance = list(c = unname(fit$concordance["concordance"]),
                         std_err = unname(fit$concordance["std"])),
      iterations = fit$iter, robust = robust_used, warnings = as.list(warns),
      var = unname(as.vector(fit$var)))), name)
  cat(sprintf("%-32s n=%5d rows=%5d iter=%2d %s\n", name, nrow(d), nrow(pdata), fit$iter,
              paste(warns, collapse = " | ")))
}

mg <- mgus2
mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime)
mg$event <- ifelse(mg$pstat == 0, 2 * mg$death, 1)
mg$sex <- as.character(mg$sex)
fg_fixture("finegray_mgus2_pcm", "mgus2: progression (1) vs death (2), finegray vignette model",
           mg, "etime", "event", 1, 0, "age + sex")
fg_fixture("finegray_mgus2_death", "mgus2: death as the event of interest, Breslow",
           mg, "etime", "event", 2, 0, "age + sex + hgb", ties = "breslow")
fg_fixture("finegray_mgus2_cluster", "mgus2: clustered on the subject",
           mg, "etime", "event", 1, 0, "age + sex + mspike", cluster_id = TRUE)
# Issue 13: a group with no event of interest (only competing deaths): its
# coefficient runs to -Inf ("beta may be infinite"), the model-based se is
# huge and the robust se finite; R reports both (z = -99), not se = 0.
mg$old_death <- as.integer(mg$event == 2 & mg$age > 80)
fg_fixture("finegray_mgus2_separated", "mgus2: a covariate with no event of interest",
           mg, "etime", "event", 1, 0, "age + old_death")
# Issue 13: no censored row (every outcome known; netra needs --no-censoring).
# The censoring level is declared but absent; R's censoring weights are all 1.
fg_fixture("finegray_mgus2_uncensored", "mgus2 without censored rows: weights all 1",
           mg[mg$event != 0, ], "etime", "event", 1, 0, "age + sex")
fg_fixture("finegray_pbc_strata", "pbc: death (2) vs transplant (1), strata(trt)",
           pbc2, "time", "status", 2, 0, "age + edema + logbili", strata = "trt")

# ---- CLI: univariate screening on raw lung (missing values kept) -----------------
dir.create(file.path(out_dir, "cli"), showWarnings = FALSE)
uni_terms <- c("age", "factor(sex)", "factor(ph.ecog)", "wt.loss")
raw <- lung[, c("time", "status", "age", "sex", "ph.ecog", "wt.loss")]
fit_summary <- function(f) {
  b <- coef(f); se <- sqrt(diag(f$var))
  list(n = f$n, events = f$nevent,
       terms = lapply(seq_along(b), function(j) list(
         name = netra_name(names(b)[j], list()), coef = unname(b[j]), se = unname(se[j]),
         hr = exp(unname(b[j])), hr_lower = exp(unname(b[j] - qnorm(0.975) * se[j])),
         hr_upper = exp(unname(b[j] + qnorm(0.975) * se[j])),
         p = pchisq((unname(b[j]) / unname(se[j]))^2, 1, lower.tail = FALSE))),
       lr_test = test_list(2 * (f$loglik[2] - f$loglik[1]), length(b)),
       loglik = f$loglik[2],
       concordance = list(c = unname(f$concordance["concordance"]),
                          std_err = unname(f$concordance["std"])))
}
uni <- lapply(uni_terms, function(t)
  c(list(term = t), fit_summary(coxph(as.formula(paste("Surv(time, status) ~", t)), data = raw))))
multi <- fit_summary(coxph(Surv(time, status) ~ age + factor(sex) + factor(ph.ecog) + wt.loss, data = raw))
write_json(list(name = "cli_univariate_lung", formula = paste(uni_terms, collapse = " + "),
                columns = as.list(raw), univariate = uni, multivariate = multi),
           file.path(out_dir, "cli", "univariate_lung.json"),
           digits = NA, auto_unbox = TRUE, na = "null")
cat("cli/univariate_lung\n")
