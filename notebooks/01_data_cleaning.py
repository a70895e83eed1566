# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Data: import, cleaning and the exclusion ledger
#
# This chapter is being written; its issue is still open.

# %% tags=["remove-cell"]
# On Google Colab only: fetch the project and install it (R's lme4 stack included).
import os
import subprocess
import sys

if "google.colab" in sys.modules and not os.path.exists("/content/xhs-depression-book"):
    subprocess.run(
        "git clone -q https://github.com/xhs-depression-book/xhs-depression-book /content/xhs-depression-book"
        " && bash /content/xhs-depression-book/scripts/colab_setup.sh",
        shell=True,
        check=True,
    )
    os.chdir("/content/xhs-depression-book")

# %% tags=["parameters"]
run_dir = "_build/run"
scale = 1.0
seed = 20241111

# %%
from helpers.run_layout import RunLayout

layout = RunLayout.at(run_dir)
layout.write_results("01_data_cleaning", {"placeholder": True, "scale": scale, "seed": seed})
