# R psych baseline for the analyze benchmark: psych::alpha plus psych::score.multiple.choice
# on the same responses (Debian r-cran-psych; data.table's fread reads the CSV).
#
#   Rscript benchmarks/r_psych.R RESPONSES.csv KEY.csv
#
# Prints the seconds for reading, score.multiple.choice and alpha, and their total.
suppressPackageStartupMessages({
  library(psych)
  library(data.table)
})
args <- commandArgs(trailingOnly = TRUE)
elapsed <- function(t) unname((proc.time() - t)["elapsed"])

t0 <- proc.time()
d <- fread(args[1], na.strings = "", showProgress = FALSE)
key <- fread(args[2])
items <- key$item_id
codes <- as.data.frame(lapply(d[, ..items], function(v) match(v, c("A", "B", "C", "D", "E"))))
keys <- match(key$key, c("A", "B", "C", "D", "E"))
t_read <- elapsed(t0)

t1 <- proc.time()
smc <- score.multiple.choice(keys, codes, score = TRUE, totals = TRUE, short = TRUE)
t_smc <- elapsed(t1)

t2 <- proc.time()
scored <- sweep(as.matrix(codes), 2, keys, "==") * 1
scored[is.na(scored)] <- 0 # an omitted response is wrong, as in analyze
a <- alpha(scored, check.keys = FALSE, warnings = FALSE)
t_alpha <- elapsed(t2)

cat(sprintf("r_read_seconds %.3f\n", t_read))
cat(sprintf("r_score_multiple_choice_seconds %.3f\n", t_smc))
cat(sprintf("r_alpha_seconds %.3f\n", t_alpha))
cat(sprintf("r_total_seconds %.3f\n", t_read + t_smc + t_alpha))
cat(sprintf("r_alpha %.6f\n", a$total$raw_alpha))
