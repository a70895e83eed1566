#!/usr/bin/env bash
# One-time, idempotent set-up for a fresh Debian/Ubuntu machine:
#   R + lme4 stack from Debian (before pip, as rpy2 compiles against it),
#   the local `report` stub pymer4 imports, a venv with pinned Python packages,
#   and the Jupyter kernel the notebooks run in.
# Re-running is cheap: each step is skipped when its stamp is current.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${VENV:-$ROOT/.venv}
PY=${PYTHON:-python3}
STAMP=$VENV/.setup-stamp
HASH=$(cat requirements.txt scripts/setup.sh scripts/r_packages.txt pyproject.toml scripts/r-report-stub/DESCRIPTION | sha256sum | cut -c1-16)

# Optional: Label Studio in a venv of its own (its numpy/pyarrow pins clash with ours), for
# the live human-coding round-trip tests. CI sets XHS_WITH_LABEL_STUDIO=1; about 1 GB.
install_label_studio() {
  local lsvenv=$ROOT/.venv-label-studio lshash
  lshash=$(sha256sum requirements-label-studio.txt | cut -c1-16)
  if [ -f "$lsvenv/.setup-stamp" ] && [ "$(cat "$lsvenv/.setup-stamp")" = "$lshash" ]; then return 0; fi
  echo "[setup] Label Studio venv $lsvenv"
  [ -x "$lsvenv/bin/python" ] || $PY -m venv "$lsvenv"
  "$lsvenv/bin/python" -m pip install -q --upgrade pip
  "$lsvenv/bin/python" -m pip install -q -r requirements-label-studio.txt
  echo "$lshash" > "$lsvenv/.setup-stamp"
}
if [ "${XHS_WITH_LABEL_STUDIO:-0}" = 1 ]; then install_label_studio; fi

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

R_PKGS=$(grep -v '^#' scripts/r_packages.txt | tr '\n' ' ')
# libopenblas0-pthread: Debian switches R's BLAS to OpenBLAS (alternatives, auto mode). lme4's
# sparse Cholesky of Model 5's crossed random effects has a dense block that grows with the
# crawl; on reference BLAS that block dominates the fit (benchmarks page: model fitting).
OTHER_PKGS="chromium chromium-driver fonts-wqy-zenhei fonts-noto-color-emoji libopenblas0-pthread"
missing=""
for p in $R_PKGS $OTHER_PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "[setup] apt-get install:$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
  else
    echo "[setup] missing system packages:$missing (no apt-get: install R and lme4 yourself, or use environment.yml)" >&2
  fi
fi

# pymer4 imports the R package `report`, which Debian does not ship: install a stub.
if ! Rscript -e 'quit(status = !requireNamespace("report", quietly = TRUE))' >/dev/null 2>&1; then
  echo "[setup] installing the local R 'report' stub"
  $SUDO R CMD INSTALL scripts/r-report-stub >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating venv $VENV"
  $PY -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
# torch first, with requirements.txt's pin: the local CPU wheel; any other spec pulls GBs of CUDA packages.
"$VENV/bin/python" -m pip install -q "$(grep -E '^torch==' requirements.txt)"
"$VENV/bin/python" -m pip install -q -r requirements.txt
"$VENV/bin/python" -m pip install -q --no-deps -e .
"$VENV/bin/python" -m ipykernel install --sys-prefix --name xhs-depression --display-name "Python (xhs-depression)" >/dev/null
echo "$HASH" > "$STAMP"
echo "[setup] done"
