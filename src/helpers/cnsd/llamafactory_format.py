"""Check a dataset file and its ``dataset_info.json`` entry the way LLaMA-Factory reads them.

The paper fine-tunes with LLaMA-Factory (Section 5.2).  A dataset it cannot read fails only
when someone starts a GPU run, so the rules are checked here, offline.  They were read from
LLaMA-Factory's own loader code (hiyouga/LLaMA-Factory at commit ff6d4d12, 2026-08-18):

* ``src/llamafactory/data/parser.py`` (``DatasetAttr``, ``get_dataset_list``): the entry must
  exist in ``dataset_info.json``; a local file is named by ``file_name``; ``formatting`` is
  ``alpaca`` (default), ``sharegpt`` or ``openai``; only the keys in :data:`COLUMN_NAMES`
  under ``columns`` and :data:`TAG_NAMES` under ``tags`` are read (others are silently
  ignored, so a typo would map nothing: we reject unknown keys); alpaca's default columns
  are ``instruction`` / ``input`` / ``output``.
* ``src/llamafactory/data/loader.py`` (``_load_single_dataset``) and
  ``extras/constants.py`` (``FILEEXT2TYPE``): the file is ``dataset_dir/file_name``, a file
  or a folder of files of one type, with an extension in :data:`FILE_EXT_TO_TYPE`.
* ``src/llamafactory/data/converter.py`` (``AlpacaDatasetConverter``): the user turn is
  ``prompt + "\\n" + query`` (each only when non-empty); the example is supervised only when
  the response column holds a string, otherwise it becomes an unsupervised example with no
  answer, which an SFT run would silently train on nothing; ``system`` is read when mapped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LLAMAFACTORY_COMMIT = "ff6d4d12eeb035d6ce06805a5733dd7b29f2ac30"
FORMATTINGS = ("alpaca", "sharegpt", "openai")
COLUMN_NAMES = ("prompt", "query", "response", "history", "messages", "system", "tools",
                "images", "videos", "audios", "chosen", "rejected", "kto_tag")
TAG_NAMES = ("role_tag", "content_tag", "user_tag", "assistant_tag", "observation_tag",
             "function_tag", "system_tag")
SOURCE_KEYS = ("hf_hub_url", "ms_hub_url", "om_hub_url", "script_url", "cloud_file_name", "file_name")
FILE_EXT_TO_TYPE = {"arrow": "arrow", "csv": "csv", "json": "json", "jsonl": "json",
                    "parquet": "parquet", "txt": "text"}
ALPACA_DEFAULTS = {"prompt": "instruction", "query": "input", "response": "output"}


class DatasetInfoError(ValueError):
    """The dataset entry or file would not load (or would load wrongly) in LLaMA-Factory."""


def alpaca_to_messages(record: Mapping[str, Any], columns: Mapping[str, str] | None = None) -> list[dict]:
    """The chat LLaMA-Factory builds from one alpaca record (system, user, assistant)."""
    cols = {**ALPACA_DEFAULTS, **(columns or {})}
    query = [record[cols[c]] for c in ("prompt", "query") if record.get(cols[c])]
    messages = []
    if cols.get("system") and record.get(cols["system"]):
        messages.append({"role": "system", "content": record[cols["system"]]})
    messages.append({"role": "user", "content": "\n".join(query)})
    messages.append({"role": "assistant", "content": record[cols["response"]]})
    return messages


def _records(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = json.loads(text)
    if not isinstance(data, list):
        raise DatasetInfoError(f"{path}: a JSON dataset file must be a list of records")
    return data


def validate_entry(dataset_dir: str | Path, name: str) -> dict[str, Any]:
    """Check ``dataset_dir/dataset_info.json[name]`` and its file; returns a short report.

    Raises :class:`DatasetInfoError` naming the entry, key or record at fault.
    """
    dataset_dir = Path(dataset_dir)
    info_path = dataset_dir / "dataset_info.json"
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DatasetInfoError(f"no dataset_info.json in {dataset_dir}") from exc
    if not isinstance(info, dict) or name not in info:
        raise DatasetInfoError(f"{info_path}: undefined dataset {name!r}")
    entry = info[name]
    sources = [k for k in SOURCE_KEYS if k in entry]
    if sources != ["file_name"]:
        raise DatasetInfoError(f"{info_path} [{name}]: a local dataset needs exactly 'file_name', found {sources}")
    formatting = entry.get("formatting", "alpaca")
    if formatting not in FORMATTINGS:
        raise DatasetInfoError(f"{info_path} [{name}]: formatting {formatting!r} is not one of {FORMATTINGS}")
    columns = entry.get("columns", {})
    unknown = sorted(set(columns) - set(COLUMN_NAMES))
    if unknown:
        raise DatasetInfoError(f"{info_path} [{name}]: unknown column keys {unknown} (allowed {COLUMN_NAMES})")
    unknown_tags = sorted(set(entry.get("tags", {})) - set(TAG_NAMES))
    if unknown_tags:
        raise DatasetInfoError(f"{info_path} [{name}]: unknown tag keys {unknown_tags}")
    path = dataset_dir / entry["file_name"]
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    if not path.exists():
        raise DatasetInfoError(f"{info_path} [{name}]: file {path} not found")
    types = {FILE_EXT_TO_TYPE.get(f.suffix.lstrip(".")) for f in files}
    if None in types or len(types) != 1:
        raise DatasetInfoError(f"{path}: file types must be one of {sorted(FILE_EXT_TO_TYPE)} and identical")
    if formatting != "alpaca":
        raise DatasetInfoError(f"{info_path} [{name}]: only alpaca records are checked here")
    cols = {**ALPACA_DEFAULTS, **columns}
    n = 0
    keys: set[str] | None = None
    for f in files:
        for i, rec in enumerate(_records(f)):
            where = f"{f.name} record {i}"
            if not isinstance(rec, dict):
                raise DatasetInfoError(f"{where}: not an object")
            if keys is None:
                keys = set(rec)
            elif set(rec) != keys:
                raise DatasetInfoError(f"{where}: fields {sorted(rec)} differ from the first record's {sorted(keys)}")
            for role in ("prompt", "query", "response", "system"):
                col = cols.get(role)
                if col and col not in rec:
                    raise DatasetInfoError(f"{where}: column {col!r} (mapped as {role}) is missing")
            if not isinstance(rec[cols["response"]], str) or not rec[cols["response"]]:
                raise DatasetInfoError(f"{where}: {cols['response']!r} must be a non-empty string, "
                                       "or LLaMA-Factory treats the record as unsupervised")
            if not (rec.get(cols["prompt"]) or rec.get(cols["query"])):
                raise DatasetInfoError(f"{where}: empty prompt and query")
            n += 1
    return {"dataset": name, "formatting": formatting, "records": n, "file": str(path),
            "columns": cols, "llamafactory_commit": LLAMAFACTORY_COMMIT}
