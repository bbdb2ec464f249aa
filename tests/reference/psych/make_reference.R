# Reference values for cehrs-items `analyze`, produced once with R and committed.
# Run from the repository root:  Rscript tests/reference/psych/make_reference.R
# Needs Debian packages r-base-core, r-cran-psych, r-cran-psychtools (CI runs no R).
# Every number is written with 17 significant digits.

suppressPackageStartupMessages({
  library(psych)
  library(psychTools)
})
out <- "tests/reference/psych"
g17 <- function(df) {
  for (n in names(df)) if (is.numeric(df[[n]])) df[[n]] <- sprintf("%.17g", df[[n]])
  df
}
save <- function(df, name) {
  write.csv(g17(df), file.path(out, name), row.names = FALSE, quote = FALSE, na = "")
}
alpha_tables <- function(x, label) {
  a <- psych::alpha(as.data.frame(x), check.keys = FALSE, cumulative = TRUE, warnings = FALSE)
  items <- data.frame(
    item_id = rownames(a$item.stats),
    p_value = a$item.stats$mean,
    item_total_r = a$item.stats$raw.r,
    item_rest_r = a$item.stats$r.drop,
    alpha_if_deleted = a$alpha.drop$raw_alpha
  )
  total <- rowSums(x)
  test <- data.frame(
    n_examinees = nrow(x),
    alpha = a$total$raw_alpha,
    mean = a$total$mean,
    sd_sample = a$total$sd,
    kr21_input_var_population = var(total) * (nrow(x) - 1) / nrow(x)
  )
  save(items, paste0("expected_", label, "_items.csv"))
  save(test, paste0("expected_", label, "_test.csv"))
}

# 1. psychTools::ability: 16 scored 0/1 items, 1525 examinees, with NA.
data(ability, package = "psychTools")
ab <- as.data.frame(ability)
export <- data.frame(examinee_id = sprintf("P%04d", seq_len(nrow(ab))), ab, check.names = FALSE)
write.csv(export, file.path(out, "ability.csv"), row.names = FALSE, quote = FALSE, na = "")
# --omit exclude: complete cases only
alpha_tables(ab[complete.cases(ab), ], "ability_exclude")
# --omit incorrect: an omitted response counts as wrong
ab0 <- ab
ab0[is.na(ab0)] <- 0
alpha_tables(ab0, "ability_incorrect")

# 2. Letters derived from psychTools::iqitems: the ten items whose key is 1..5.
#    Codes 1..5 become A..E; 0, 6 and NA become an omitted (empty) response.
data(iqitems, package = "psychTools")
iq.keys <- c(4, 4, 4, 6, 6, 3, 4, 4, 5, 2, 2, 4, 3, 2, 6, 7)
use <- which(iq.keys <= 5 & !grepl("^rotate", colnames(iqitems)))
raw <- as.data.frame(iqitems[, use])
keys <- iq.keys[use]
codes <- raw
codes[is.na(codes) | codes < 1 | codes > 5] <- 0 # 0 = omitted
letters5 <- c("A", "B", "C", "D", "E")
lett <- as.data.frame(lapply(codes, function(v) ifelse(v == 0, NA, letters5[pmax(v, 1)])))
names(lett) <- names(raw)
write.csv(
  data.frame(examinee_id = sprintf("Q%04d", seq_len(nrow(lett))), lett, check.names = FALSE),
  file.path(out, "iq_letters.csv"), row.names = FALSE, quote = FALSE, na = ""
)
write.csv(data.frame(item_id = names(raw), key = letters5[keys]),
  file.path(out, "iq_key.csv"), row.names = FALSE, quote = FALSE)
scored <- sweep(as.matrix(codes), 2, keys, "==") * 1
alpha_tables(scored, "iq")
# psych::score.multiple.choice on the same codes (0 = omitted, never a key):
smc <- score.multiple.choice(keys, codes, score = TRUE, totals = TRUE, short = FALSE,
  missing = FALSE)
freq <- response.frequencies(codes, max = 10, uniqueitems = 0:5)
total <- rowSums(scored)
rows <- list()
for (j in seq_along(keys)) {
  for (o in 0:5) {
    chose <- codes[[j]] == o
    rows[[length(rows) + 1]] <- data.frame(
      item_id = names(raw)[j],
      option = if (o == 0) "omit" else letters5[o],
      proportion = unname(freq[j, as.character(o)]),
      point_biserial = if (any(chose) && !all(chose)) cor(as.numeric(chose), total) else NA,
      mean_score_of_choosers = if (any(chose)) mean(total[chose]) else NA,
      smc_item_r = if (o == keys[j]) smc$item.stats[j, "r"] else NA
    )
  }
}
save(do.call(rbind, rows), "expected_iq_options.csv")

# 3. Bock's LSAT-6 (psych::bock): a pattern table with frequencies (weights).
data(bock, package = "psych")
pat <- aggregate(list(freq = rep(1, nrow(lsat6))), as.data.frame(lsat6), length)
pat <- data.frame(examinee_id = sprintf("L%02d", seq_len(nrow(pat))), pat)
write.csv(pat, file.path(out, "lsat6_patterns.csv"), row.names = FALSE, quote = FALSE)
alpha_tables(lsat6, "lsat6")

writeLines(c(
  paste("R:", R.version.string),
  paste("psych:", as.character(packageVersion("psych"))),
  paste("psychTools:", as.character(packageVersion("psychTools")))
), file.path(out, "VERSIONS.txt"))
