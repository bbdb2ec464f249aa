# Reference estimates for the LSAT6 / LSAT7 data (Bock & Lieberman 1970).
# Run once from the repository root:  Rscript tests/reference/lsat/reference.R
# Needs R with psych (data `bock`) and lme4 (Debian: r-base-core r-cran-psych r-cran-lme4).
# CI runs no R: the outputs (patterns.csv, expected.csv) are committed.
#
# The reference maximises the marginal log likelihood DIRECTLY with optim (BFGS) -- a
# different algorithm from the EM under test -- on a Gauss-Hermite rule built here by the
# Golub-Welsch method, so both sides integrate over exactly the same nodes. Standard errors
# are from optimHess (numerical Hessian of the marginal log likelihood / log posterior).
# The Rasch model is also fitted by lme4::glmer (adaptive Gauss-Hermite, nAGQ = 30).
suppressMessages({library(psych); library(lme4)})
data(bock)
out_dir <- "tests/reference/lsat"

tab <- bock.table
pat <- data.frame(pattern = apply(tab[, c("Q1","Q2","Q3","Q4","Q5")], 1, paste, collapse = ""),
                  lsat6 = tab$Ob6, lsat7 = tab$Ob7)
write.csv(pat, file.path(out_dir, "patterns.csv"), row.names = FALSE, quote = FALSE)

gh <- function(n) {   # probabilists' Gauss-Hermite rule for N(0, 1)
  m <- matrix(0, n, n); off <- sqrt(seq_len(n - 1))
  m[cbind(1:(n - 1), 2:n)] <- off; m[cbind(2:n, 1:(n - 1))] <- off
  e <- eigen(m, symmetric = TRUE)
  o <- order(e$values)
  list(z = e$values[o], w = e$vectors[1, o]^2)
}

X <- as.matrix(tab[, c("Q1","Q2","Q3","Q4","Q5")])
J <- ncol(X)

# par in slope-intercept coordinates: slopes (J, or 1 common slope for rasch), intercepts, c.
unpack <- function(par, model) {
  if (model == "rasch") { a <- rep(par[1], J); g <- par[1 + 1:J]; cc <- rep(0, J) }
  else { a <- par[1:J]; g <- par[J + 1:J]
         cc <- if (model == "3pl") par[2 * J + 1:J] else rep(0, J) }
  list(a = a, g = g, cc = cc)
}
logpost <- function(par, f, q, model, prior_c = c(5, 17)) {
  u <- unpack(par, model)
  if (model == "3pl" && any(u$cc <= 0 | u$cc >= 1)) return(-1e10)
  eta <- outer(q$z, u$a) + matrix(u$g, length(q$z), J, byrow = TRUE)
  P <- matrix(u$cc, length(q$z), J, byrow = TRUE) + matrix(1 - u$cc, length(q$z), J, byrow = TRUE) * plogis(eta)
  L <- exp(X %*% t(log(P)) + (1 - X) %*% t(log(1 - P)))
  ll <- sum(f * log(L %*% q$w))
  if (model == "3pl") ll <- ll + sum((prior_c[1] - 1) * log(u$cc) + (prior_c[2] - 1) * log(1 - u$cc))
  ll
}

rows <- list()
add <- function(dataset, model, quad, points, item, param, value) {
  rows[[length(rows) + 1]] <<- data.frame(dataset = dataset, model = model, method = quad,
    points = points, item_id = item, param = param, value = value)
}
for (ds in c("lsat6", "lsat7")) {
  f <- pat[[ds]]
  for (npt in c(21, 41)) {
    q <- gh(npt)
    for (model in c("rasch", "2pl", "3pl")) {
      start <- switch(model, rasch = c(1, rep(1, J)), "2pl" = c(rep(1, J), rep(1, J)),
                      "3pl" = c(rep(1, J), rep(0.5, J), rep(0.2, J)))
      # 3PL: optimise with c on the logit scale, then polish/hessian on c itself.
      fn_opt <- function(p) { if (model == "3pl") p[2 * J + 1:J] <- plogis(p[2 * J + 1:J]); -logpost(p, f, q, model) }
      s0 <- start; if (model == "3pl") s0[2 * J + 1:J] <- qlogis(s0[2 * J + 1:J])
      fit <- optim(s0, fn_opt, method = "BFGS", control = list(reltol = 1e-15, maxit = 10000))
      fit <- optim(fit$par, fn_opt, method = "BFGS", control = list(reltol = 1e-15, maxit = 10000))
      est <- fit$par; if (model == "3pl") est[2 * J + 1:J] <- plogis(est[2 * J + 1:J])
      H <- optimHess(est, function(p) -logpost(p, f, q, model), control = list(ndeps = rep(1e-4, length(est))))
      V <- solve(H)
      u <- unpack(est, model)
      b <- -u$g / u$a
      for (j in 1:J) {
        it <- paste0("Q", j)
        if (model == "rasch") {
          # theta = sigma * z with slope 1: sigma = common slope, b = -g.
          add(ds, model, "optim-gh", npt, it, "b", -u$g[j])
          add(ds, model, "optim-gh", npt, it, "se_b", sqrt(V[1 + j, 1 + j]))
        } else {
          ia <- j; ig <- J + j
          grad_b <- c(u$g[j] / u$a[j]^2, -1 / u$a[j])
          vb <- t(grad_b) %*% V[c(ia, ig), c(ia, ig)] %*% grad_b
          add(ds, model, "optim-gh", npt, it, "a", u$a[j])
          add(ds, model, "optim-gh", npt, it, "b", b[j])
          add(ds, model, "optim-gh", npt, it, "se_a", sqrt(V[ia, ia]))
          add(ds, model, "optim-gh", npt, it, "se_b", sqrt(vb))
          if (model == "3pl") {
            add(ds, model, "optim-gh", npt, it, "c", u$cc[j])
            add(ds, model, "optim-gh", npt, it, "se_c", sqrt(V[2 * J + j, 2 * J + j]))
          }
        }
      }
      if (model == "rasch") {
        add(ds, model, "optim-gh", npt, "", "sd", abs(est[1]))
        add(ds, model, "optim-gh", npt, "", "se_sd", sqrt(V[1, 1]))
      }
      add(ds, model, "optim-gh", npt, "", if (model == "3pl") "log_posterior" else "loglik", -fit$value)
    }
  }
  # Rasch by lme4::glmer (adaptive Gauss-Hermite quadrature, 30 points).
  long <- do.call(rbind, lapply(seq_len(nrow(X)), function(i) {
    if (f[i] == 0) return(NULL)
    data.frame(pattern = i, item = factor(paste0("Q", 1:J)), y = X[i, ], w = f[i])
  }))
  persons <- long[rep(seq_len(nrow(long)), long$w), ]
  persons$id <- paste(persons$pattern, ave(persons$pattern, persons$pattern, persons$item, FUN = seq_along))
  gm <- glmer(y ~ 0 + item + (1 | id), data = persons, family = binomial, nAGQ = 30,
              control = glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)))
  fe <- fixef(gm); se <- sqrt(diag(as.matrix(vcov(gm))))
  for (j in 1:J) {
    add(ds, "rasch", "glmer-agq", 30, paste0("Q", j), "b", -unname(fe[j]))
    add(ds, "rasch", "glmer-agq", 30, paste0("Q", j), "se_b", unname(se[j]))
  }
  add(ds, "rasch", "glmer-agq", 30, "", "sd", attr(VarCorr(gm)$id, "stddev")[[1]])
  add(ds, "rasch", "glmer-agq", 30, "", "loglik", as.numeric(logLik(gm)))
}
res <- do.call(rbind, rows)
res$value <- sprintf("%.10g", res$value)
write.csv(res, file.path(out_dir, "expected.csv"), row.names = FALSE, quote = FALSE)
cat("R", R.version.string, "psych", as.character(packageVersion("psych")),
    "lme4", as.character(packageVersion("lme4")), "\n")
