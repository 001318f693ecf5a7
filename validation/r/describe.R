# Reference fixtures for the descriptive statistics of `netra compare` and
# Table 1 (issue 20): mean, sd, median, quantile(type = 7) quartiles, min and
# max of one sample, as `netra_stats::describe::summarise`. Writes
# validation/fixtures/describe/summaries.json.
suppressPackageStartupMessages({ library(jsonlite); library(survival) })

root <- if (dir.exists("validation")) "." else ".."
out_dir <- file.path(root, "validation", "fixtures", "describe")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

samples <- list(
  lung_age = lung$age,
  lung_wt_loss = lung$wt.loss,                     # has NA
  lung_meal_cal = lung$meal.cal,                   # many NA
  ozone = airquality$Ozone,
  plant_ctrl = PlantGrowth$weight[PlantGrowth$group == "ctrl"],
  insect_counts = InsectSprays$count,              # heavy ties
  negative = c(-3.25, -1.5, 0, 2.75, -0.125, 10.5),
  two = c(1.1, 2.2),
  one = c(42),
  tiny = c(1e-8, 3e-8, 2e-8, 5e-8),
  large = c(123456789.5, 123456790.25, 123456788.75, 123456791)
)

cases <- lapply(names(samples), function(name) {
  x <- samples[[name]]
  y <- x[!is.na(x)]
  q <- unname(quantile(y, c(0.25, 0.5, 0.75), type = 7))
  list(
    name = name, values = I(x), n = length(y),
    mean = mean(y), sd = if (length(y) > 1) sd(y) else NA,
    median = median(y), q1 = q[1], q3 = q[3], quantile_median = q[2],
    iqr = IQR(y), min = min(y), max = max(y)
  )
})
write_json(cases, file.path(out_dir, "summaries.json"),
           digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE)
