# Rasch CML reference: eRm::RM on eRm's raschdat1 (100 persons x 30 items), and on a copy
# with a block of responses set missing (two "booklets"), which eRm handles by grouping
# persons by their missingness pattern.
# Run once from the repository root:  Rscript tests/reference/erm/reference.R
# Needs R with eRm and psychotools (Debian: r-base-core r-cran-erm r-cran-psychotools).
# CI runs no R: the outputs (raschdat1.csv, expected.csv) are committed.
suppressMessages({library(eRm); library(psychotools)})
out_dir <- "tests/reference/erm"
data(raschdat1)
X <- as.matrix(raschdat1)
colnames(X) <- sprintf("I%02d", seq_len(ncol(X)))
write.csv(data.frame(examinee_id = sprintf("P%03d", seq_len(nrow(X))), X),
          file.path(out_dir, "raschdat1.csv"), row.names = FALSE, quote = FALSE)
Xna <- X
Xna[1:40, 26:30] <- NA     # persons 1-40 did not take items 26-30
Xna[61:100, 1:3] <- NA     # persons 61-100 did not take items 1-3

rows <- list()
add <- function(dataset, source, item, param, value) {
  rows[[length(rows) + 1]] <<- data.frame(dataset = dataset, source = source, item_id = item,
                                          param = param, value = sprintf("%.10g", value))
}
for (ds in c("raschdat1", "raschdat1_na")) {
  M <- if (ds == "raschdat1") X else Xna
  fit <- RM(M, sum0 = TRUE)      # CML, item parameters constrained to sum to zero
  b <- -fit$betapar               # eRm reports easiness (beta); difficulty b = -beta
  se <- fit$se.beta
  for (j in seq_along(b)) {
    add(ds, "eRm::RM", colnames(X)[j], "b", b[j])
    add(ds, "eRm::RM", colnames(X)[j], "se_b", se[j])
  }
  add(ds, "eRm::RM", "", "loglik", fit$loglik)
  # psychotools::raschmodel (CML, first item fixed at 0): re-centred to sum zero.
  pm <- raschmodel(M, hessian = TRUE)
  bp <- c(0, coef(pm)); bp <- bp - mean(bp)
  for (j in seq_along(bp)) add(ds, "psychotools::raschmodel", colnames(X)[j], "b", bp[j])
  add(ds, "psychotools::raschmodel", "", "loglik", as.numeric(logLik(pm)))
}
res <- do.call(rbind, rows)
write.csv(res, file.path(out_dir, "expected.csv"), row.names = FALSE, quote = FALSE)
cat("R", R.version.string, "eRm", as.character(packageVersion("eRm")),
    "psychotools", as.character(packageVersion("psychotools")), "\n")
