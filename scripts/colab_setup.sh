#!/usr/bin/env bash
# Set-up on Google Colab (called by the first cell of each notebook, only on Colab):
# R + lme4 from apt, the pymer4 'report' stub, the project with its Python deps.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v Rscript >/dev/null || ! Rscript -e 'quit(status=!requireNamespace("lme4",quietly=TRUE))' >/dev/null 2>&1; then
  apt-get update -qq
  # shellcheck disable=SC2046 # one package per word
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    $(grep -v '^#' scripts/r_packages.txt) >/dev/null || echo "apt could not install the R stack: the engagement chapter needs it"
fi
Rscript -e 'quit(status=!requireNamespace("report",quietly=TRUE))' >/dev/null 2>&1 || R CMD INSTALL scripts/r-report-stub >/dev/null
# Keep Colab's own CUDA torch and its running Jupyter kernel (ipykernel, ipython, jupyter_client, traitlets):
# install the rest without touching them.
grep -v -E '^(torch|jupyter-book|pytest|ruff|selenium|ipykernel|ipython|jupyter_client|traitlets)' requirements.txt > /tmp/colab-requirements.txt
pip install -q -r /tmp/colab-requirements.txt
# Not editable: an editable install is a .pth file, which the running Colab kernel only reads
# after a restart; a regular install is importable at once.
pip install -q --no-deps .
