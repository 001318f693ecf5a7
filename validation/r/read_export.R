# Reads back what `netra export --dataset` wrote (issue 20), for the
# round-trip tests: the R export by sourcing its script, the Stata file by
# haven::read_dta, and prints one JSON object of what R sees — per column
# its name, label, class, factor levels and values, from both files.
# Usage: Rscript validation/r/read_export.R DIR
# Exits with status 3 when haven or jsonlite is missing (the tests then
# skip unless NETRA_REQUIRE_R is set).
if (!requireNamespace("haven", quietly = TRUE) || !requireNamespace("jsonlite", quietly = TRUE)) {
  message("the R packages haven and jsonlite are needed")
  quit(status = 3)
}
suppressPackageStartupMessages({ library(jsonlite); library(haven) })

dir <- commandArgs(trailingOnly = TRUE)[1]
netra_dir <- dir
source(file.path(dir, "netra_data.R"))
d <- netra_data
s <- read_dta(file.path(dir, "netra_data.dta"))

columns <- lapply(seq_along(d), function(j) {
  x <- d[[j]]
  y <- s[[j]]
  col <- list(name = names(d)[j], label = attr(x, "label"), is_factor = is.factor(x),
              is_numeric = is.numeric(x), dta_name = names(s)[j],
              dta_label = attr(y, "label"))
  if (is.factor(x)) {
    f <- as_factor(y, levels = "labels")
    col$levels <- levels(x)
    col$values <- as.character(x)
    col$dta_levels <- levels(f)
    col$dta_values <- as.character(f)
  } else if (is.numeric(x)) {
    col$values <- x
    col$dta_values <- as.numeric(zap_labels(y))
  } else {
    col$values <- x
    col$dta_values <- ifelse(y == "", NA, y)
  }
  col
})
cat(toJSON(list(rows = nrow(d), dta_rows = nrow(s), label = attr(d, "label"),
                dta_label = attr(s, "label"), columns = columns),
           auto_unbox = TRUE, digits = NA, na = "null", null = "null"))
