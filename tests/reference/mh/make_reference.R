# Mantel-Haenszel reference values from base R's stats::mantelhaen.test, produced once
# and committed. Run from the repository root:  Rscript tests/reference/mh/make_reference.R
# Needs Debian packages r-base-core and r-cran-psych (for the bfi data). CI runs no R.

suppressPackageStartupMessages(library(psych))
out <- "tests/reference/mh"
g17 <- function(df) {
  for (n in names(df)) if (is.numeric(df[[n]])) df[[n]] <- sprintf("%.17g", df[[n]])
  df
}
save <- function(df, name) {
  write.csv(g17(df), file.path(out, name), row.names = FALSE, quote = FALSE, na = "")
}
z <- qnorm(0.975)

# One 2 x 2 x K array per item: [group (reference, focal), response (right, wrong), stratum]
mh_row <- function(tab) {
  n_ref <- apply(tab[1, , , drop = FALSE], 3, sum)
  n_foc <- apply(tab[2, , , drop = FALSE], 3, sum)
  keep <- n_ref > 0 & n_foc > 0 # strata without one of the groups drop out
  tab <- tab[, , keep, drop = FALSE]
  mh <- mantelhaen.test(tab, correct = TRUE)
  ci <- mh$conf.int
  p_ref <- tab[1, 1, ] / n_ref[keep]
  p_foc <- tab[2, 1, ] / n_foc[keep]
  data.frame(
    n_reference = sum(n_ref[keep]),
    n_focal = sum(n_foc[keep]),
    n_strata = sum(keep),
    alpha_mh = unname(mh$estimate),
    delta_mh = -2.35 * log(unname(mh$estimate)),
    se_delta_mh = 2.35 * (log(ci[2]) - log(ci[1])) / (2 * z),
    chi_square_mh = unname(mh$statistic),
    p_value = mh$p.value,
    std_p_dif = sum(n_foc[keep] * (p_foc - p_ref)) / sum(n_foc[keep])
  )
}

# 1. psych::bfi, the 25 personality items dichotomised (response >= 4 scored 1),
#    complete cases; gender 1 (male) is the reference group, 2 (female) the focal group;
#    the matching score is the total over all 25 items (studied item included).
data(bfi, package = "psych")
b <- bfi[complete.cases(bfi[, c(1:25, 26)]), c(1:25, 26)]
x <- (as.matrix(b[, 1:25]) >= 4) * 1
total <- rowSums(x)
write.csv(data.frame(examinee_id = sprintf("B%04d", seq_len(nrow(x))), x, gender = b$gender),
  file.path(out, "bfi_dichotomous.csv"), row.names = FALSE, quote = FALSE)
rows <- list()
for (j in seq_len(ncol(x))) {
  tab <- table(
    factor(b$gender, levels = c(1, 2)),
    factor(x[, j], levels = c(1, 0)),
    factor(total, levels = 0:25)
  )
  rows[[j]] <- data.frame(item_id = colnames(x)[j], mh_row(unclass(tab)))
}
save(do.call(rbind, rows), "expected_bfi_mh.csv")

# 2. The penicillin and rabbits data of R's mantelhaen.test help page (Agresti 2002,
#    Categorical Data Analysis, table 6.7): delay None as the reference group, cured as right.
Rabbits <- array(c(0, 0, 6, 5, 3, 0, 3, 6, 6, 2, 0, 4, 5, 6, 1, 0, 2, 5, 0, 0),
  dim = c(2, 2, 5),
  dimnames = list(
    Delay = c("None", "1.5h"), Response = c("Cured", "Died"),
    Penicillin.Level = c("1/8", "1/4", "1/2", "1", "4")
  )
)
strata <- data.frame(
  stratum = dimnames(Rabbits)[[3]],
  a = Rabbits[1, 1, ], b = Rabbits[1, 2, ], c = Rabbits[2, 1, ], d = Rabbits[2, 2, ]
)
write.csv(strata, file.path(out, "rabbits_strata.csv"), row.names = FALSE, quote = FALSE)
save(data.frame(item_id = "rabbits", mh_row(Rabbits)), "expected_rabbits_mh.csv")
writeLines(paste("R:", R.version.string, "| psych:", as.character(packageVersion("psych"))),
  file.path(out, "VERSIONS.txt"))
