# Reference fixtures for the k-group tests (issue 20): one-way ANOVA
# (oneway.test(var.equal = TRUE), with anova(lm()) sums of squares), Welch's
# ANOVA (oneway.test), Kruskal–Wallis (kruskal.test, ties corrected), and
# r×c tables by chisq.test and fisher.test (Fisher–Freeman–Halton). Writes
# validation/fixtures/kgroup/{numbers,tables}.json.
suppressPackageStartupMessages({ library(jsonlite); library(survival) })

root <- if (dir.exists("validation")) "." else ".."
out_dir <- file.path(root, "validation", "fixtures", "kgroup")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
write_fixture <- function(x, name) {
  write_json(x, file.path(out_dir, paste0(name, ".json")),
             digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE)
}

# --- numbers by group ------------------------------------------------------------
aq <- airquality[!is.na(airquality$Ozone), ]
lung_ecog <- lung[!is.na(lung$ph.ecog) & lung$ph.ecog < 3, ]
sets <- list(
  plant_growth = list(y = PlantGrowth$weight, g = PlantGrowth$group),
  insect_sprays = list(y = InsectSprays$count, g = InsectSprays$spray),
  ozone_by_month = list(y = aq$Ozone, g = factor(aq$Month)),
  lung_age_by_ecog = list(y = lung_ecog$age, g = factor(lung_ecog$ph.ecog)),
  two_groups = list(y = c(1.5, 2.5, 2.0, 3.5, 4.0, 6.5, 5.0, 4.5),
                    g = factor(c("a", "a", "a", "a", "b", "b", "b", "b"))),
  heavy_ties = list(y = c(1, 1, 1, 2, 2, 1, 2, 2, 2, 3, 3, 3, 2, 3),
                    g = factor(rep(c("x", "y", "z"), times = c(5, 4, 5))))
)
numbers <- lapply(names(sets), function(name) {
  s <- sets[[name]]
  g <- droplevels(s$g)
  groups <- lapply(levels(g), function(l) I(s$y[g == l]))
  a <- oneway.test(s$y ~ g, var.equal = TRUE)
  w <- oneway.test(s$y ~ g)
  k <- kruskal.test(s$y, g)
  tab <- anova(lm(s$y ~ g))
  list(
    name = name, groups = groups,
    anova = list(statistic = unname(a$statistic), df_num = unname(a$parameter[1]),
                 df_den = unname(a$parameter[2]), p_value = a$p.value,
                 ss_between = tab[["Sum Sq"]][1], ss_within = tab[["Sum Sq"]][2],
                 lm_f = tab[["F value"]][1], lm_p = tab[["Pr(>F)"]][1]),
    welch = list(statistic = unname(w$statistic), df_num = unname(w$parameter[1]),
                 df_den = unname(w$parameter[2]), p_value = w$p.value),
    kruskal = list(statistic = unname(k$statistic), df = unname(k$parameter),
                   p_value = k$p.value)
  )
})
write_fixture(numbers, "numbers")

# --- r×c tables ------------------------------------------------------------------
rows_of <- function(m) lapply(seq_len(nrow(m)), function(i) I(unname(m[i, ])))
lung_tab <- table(lung$ph.ecog, lung$sex)
tables <- list(
  lung_ecog_by_sex = unclass(lung_tab),
  three_by_three = matrix(c(20, 15, 12, 18, 22, 9, 14, 16, 25), 3),
  small_three_by_two = matrix(c(3, 1, 4, 2, 6, 1), 3),
  two_by_four = matrix(c(8, 2, 5, 5, 3, 9, 1, 4), 2)
)
write_fixture(lapply(names(tables), function(name) {
  m <- tables[[name]]
  ch <- suppressWarnings(chisq.test(m, correct = FALSE))
  list(name = name, table = rows_of(m),
       chisq = list(statistic = unname(ch$statistic), df = unname(ch$parameter),
                    p_value = ch$p.value, min_expected = min(ch$expected)),
       fisher_p = fisher.test(m)$p.value)
}), "tables")
