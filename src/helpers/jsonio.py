"""JSON the project writes: one ``default`` for numpy values, paths and dataclasses."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any


def json_default(value: Any) -> Any:
    """``json.dumps(..., default=json_default)``: numpy scalars/arrays, pandas NA, paths, dataclasses.

    Anything else raises ``TypeError`` naming the type, as ``json`` would: silently writing
    ``str(value)`` would hide a value a reader then cannot parse back.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Path):
        return value.as_posix()
    if hasattr(value, "item") and callable(value.item):
        try:
            return value.item()
        except (ValueError, TypeError):
            pass
    if hasattr(value, "tolist"):
        return value.tolist()
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` with the project's defaults (UTF-8 text kept, :func:`json_default`)."""
    kwargs.setdefault("ensure_ascii", False)
    kwargs.setdefault("default", json_default)
    return json.dumps(value, **kwargs)
