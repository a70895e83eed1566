"""Mechanics written once: device choice, mean pooling, the JSON default, markdown tables."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.jsonio import dumps, json_default
from helpers.markdown import fmt, md_table
from helpers.torch_device import DeviceUnavailable, choose_device, mean_pool, model_dtype

torch = pytest.importorskip("torch")


def test_choose_device_defaults_and_forcing_the_cpu():
    auto = choose_device()
    assert auto.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert choose_device("cpu") == torch.device("cpu") == choose_device(torch.device("cpu"))
    assert model_dtype("cpu") == torch.float32


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_asking_for_a_missing_gpu_fails_with_the_fix():
    with pytest.raises(DeviceUnavailable, match="device='cpu'"):
        choose_device("cuda")


def test_mean_pool_ignores_padding_and_empty_rows():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]],
                           [[5.0, 5.0], [7.0, 9.0], [0.0, 0.0]]])
    mask = torch.tensor([[1, 1, 0], [0, 0, 0]])
    pooled = mean_pool(hidden, mask)
    assert pooled.tolist() == [[2.0, 3.0], [0.0, 0.0]]


@dataclass
class _Point:
    x: int


def test_json_default_handles_numpy_paths_and_refuses_the_unknown():
    payload = {"a": np.int64(3), "b": np.float32(0.5), "c": np.array([1, 2]), "p": Path("a/b"),
               "na": pd.NA, "d": _Point(1)}
    assert json.loads(dumps(payload)) == {"a": 3, "b": 0.5, "c": [1, 2], "p": "a/b", "na": None, "d": {"x": 1}}
    assert dumps({"t": "抑郁"}) == '{"t": "抑郁"}'
    with pytest.raises(TypeError, match="object"):
        json_default(object())


def test_markdown_table_formats_and_escapes():
    table = md_table([("a|b", 1234, 0.5, None, True)], ["name", "n", "x", "missing", "flag"])
    assert table.splitlines()[0] == "| name | n | x | missing | flag |"
    assert table.splitlines()[2] == "| a\\|b | 1,234 | 0.500 | – | yes |"
    assert fmt(float("nan")) == "–" and fmt(1.5e-7) == "1.50e-07"
