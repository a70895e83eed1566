report <- function(x, ...) {
  stop("The 'report' package is a local stub installed by scripts/setup.sh; ",
       "install the real package from CRAN to use report().")
}
