# Reference fixtures for logistic regression: glm(family = binomial) with
# prior weights, as netra_stats::glm::logistic computes it.
# Run from validation/ (generate.sh does): Rscript --vanilla r/glm.R
# Writes fixtures/glm/*.json: the input columns, the formula (right-hand
# side, netra's model syntax), the weights column and R's results.
#
# Names: R's coefficient names are mapped to netra's convention
# (factor(x)LEVEL -> x=LEVEL, a text column x with level L -> x=L).
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
out_dir <- file.path("fixtures", "glm")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
unlink(file.path(out_dir, "*.json"))

netra_name <- function(nm, text_levels) {
  nm <- gsub("factor\\(([^()]+)\\)([^:]*)", "\\1=\\2", nm)
  parts <- strsplit(nm, ":", fixed = TRUE)[[1]]
  for (v in names(text_levels)) {
    full <- paste0(v, text_levels[[v]])
    hit <- match(parts, full)
    parts[!is.na(hit)] <- paste0(v, "=", text_levels[[v]][hit[!is.na(hit)]])
  }
  paste(parts, collapse = ":")
}

glm_fixture <- function(name, description, data, y, formula, weights = NULL) {
  rhs_vars <- all.vars(as.formula(paste("~", formula)))
  used <- unique(c(y, rhs_vars, weights))
  d <- data[complete.cases(data[, used]), used, drop = FALSE]
  text_vars <- used[sapply(d[used], is.character)]
  text_levels <- setNames(lapply(text_vars, function(v) unique(d[[v]])), text_vars)
  call_text <- sprintf("glm(%s ~ %s, family = binomial, data = d%s)", y, formula,
                       if (is.null(weights)) "" else sprintf(", weights = %s", weights))
  warns <- character(0)
  fit <- withCallingHandlers(eval(parse(text = call_text)),
                             warning = function(w) {
                               warns <<- c(warns, conditionMessage(w))
                               invokeRestart("muffleWarning")
                             })
  s <- summary(fit)
  beta <- coef(fit)
  tab <- s$coefficients
  coefs <- lapply(seq_along(beta), function(j) {
    nm <- names(beta)[j]
    na <- is.na(beta[j])
    list(name = netra_name(nm, text_levels), estimate = unname(beta[j]),
         se = if (na) NA else unname(tab[nm, 2]),
         z = if (na) NA else unname(tab[nm, 3]),
         p = if (na) NA else unname(tab[nm, 4]))
  })
  v <- vcov(fit, complete = TRUE)
  v[is.na(v)] <- 0
  expected <- list(coefficients = coefs, deviance = fit$deviance,
                   null_deviance = fit$null.deviance, aic = fit$aic,
                   df_residual = fit$df.residual, df_null = fit$df.null,
                   rank = fit$rank, iterations = fit$iter,
                   converged = fit$converged,
                   warnings = as.list(warns),
                   fitted = unname(fitted(fit)),
                   vcov = unname(as.vector(v)))
  cols <- lapply(d, function(v) if (is.factor(v)) as.character(v) else v)
  input <- list(columns = cols, y = y, formula = formula,
                weights = if (is.null(weights)) NA else weights)
  write_json(list(name = name, description = description, input = input,
                  expected = expected),
             file.path(out_dir, paste0(name, ".json")),
             digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE)
  cat(sprintf("%-28s n=%4d iter=%2d %s\n", name, nrow(d), fit$iter,
              paste(warns, collapse = " | ")))
}

# ---- data ------------------------------------------------------------------
lung2 <- lung
lung2$dead <- as.integer(lung2$status == 2)
lung2$female <- as.integer(lung2$sex == 2)
set.seed(19)
lung2$w <- round(runif(nrow(lung2), 0.2, 3), 3)
lung2$wint <- sample(1:3, nrow(lung2), replace = TRUE)
lung2$wz <- lung2$w
lung2$wz[sample(nrow(lung2), 20)] <- 0

col <- subset(colon, etype == 2)
col$treated <- as.integer(col$rx != "Obs")
col$rx <- as.character(col$rx)
col$differ <- as.character(col$differ)

mt <- mtcars

sep <- data.frame(y = c(0, 0, 0, 0, 1, 1, 1, 1), x = c(1, 2, 3, 4, 5, 6, 7, 8))
qsep <- data.frame(y = c(0, 0, 0, 1, 0, 1, 1, 1), x = c(1, 2, 3, 4, 4, 6, 7, 8))
lung2$age2 <- 2 * lung2$age

# ---- fixtures --------------------------------------------------------------
glm_fixture("mtcars_am", "mtcars: am ~ wt + hp", mt, "am", "wt + hp")
glm_fixture("lung_factor", "lung: dead ~ age + female + factor(ph.ecog)",
            lung2, "dead", "age + female + factor(ph.ecog)")
glm_fixture("lung_weights", "lung: dead ~ age + female + ph.karno, non-integer weights",
            lung2, "dead", "age + female + ph.karno", weights = "w")
glm_fixture("lung_integer_weights", "lung: frequency weights 1-3",
            lung2, "dead", "age + female + wt.loss", weights = "wint")
glm_fixture("lung_zero_weights", "lung: 20 zero weights",
            lung2, "dead", "age + female", weights = "wz")
glm_fixture("lung_collinear", "lung: age2 = 2 age is aliased (NA)",
            lung2, "dead", "age + female + age2")
glm_fixture("colon_treated", "colon (deaths): treated ~ age + sex + factor(differ) + nodes + extent",
            col, "treated", "age + sex + factor(differ) + nodes + extent")
glm_fixture("colon_text_factor", "colon: treated ~ differ (text) + obstruct",
            col, "treated", "differ + obstruct")
glm_fixture("separation_complete", "complete separation", sep, "y", "x")
glm_fixture("separation_quasi", "quasi-complete separation", qsep, "y", "x")
