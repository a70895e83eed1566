"""The project's Chinese → English glossary for the terms that label network clusters.

Readers of the book need an English gloss beside each Chinese term; machine
translation is not available offline, so the glossary is a small hand-maintained
UTF-8 TSV (``term<TAB>gloss``) shipped with the package.  Terms missing from it
are shown with "?" so gaps are visible rather than hidden; ``missing_terms``
lists them for whoever maintains the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path


def glossary_path() -> Path:
    return Path(str(resources.files("helpers") / "resources" / "glossary_zh_en.tsv"))


@lru_cache(maxsize=2)
def load_glossary(path: str | None = None) -> dict[str, str]:
    """Term → English gloss; raises on a malformed line (so an edit error is caught by tests)."""
    file = Path(path) if path else glossary_path()
    glossary: dict[str, str] = {}
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise ValueError(f"{file}:{number}: expected 'term<TAB>gloss', got {line!r}")
        term = parts[0].strip()
        if term in glossary:
            raise ValueError(f"{file}:{number}: duplicate term {term!r}")
        glossary[term] = parts[1].strip()
    return glossary


def missing_terms(terms: Iterable[str], glossary: dict[str, str] | None = None) -> list[str]:
    """Terms without a gloss, in the given order."""
    glossary = load_glossary() if glossary is None else glossary
    return [t for t in terms if t not in glossary]
