"""Where each step of a run reads its inputs and writes its outputs.

A *run folder* holds everything one execution of the book produces, so that a
parameter sweep can keep many runs side by side and a chapter can be re-run on
its own from its predecessors' outputs.  All notebooks and CLI commands agree
on this layout through :class:`RunLayout`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpers.jsonio import dumps

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from helpers.book.results_schema import StepResults

DEFAULT_RUN_DIR = Path("_build/run")

#: Notebook steps, in execution order.  The stem is also the results key.
STEPS: tuple[str, ...] = (
    "01_data_cleaning",
    "02_sentiment",
    "03_engagement_models",
    "04_semantic_networks",
    "05_cnsd_pipeline",
    "06_inference_robustness",
)


def match_steps(name: str | int, steps: Iterable[str] = STEPS) -> list[str]:
    """The steps ``name`` means: the full stem (``03_engagement_models``) or its number (``03``).

    YAML reads ``01`` as the integer 1, so integers are read as two-digit numbers.
    """
    if isinstance(name, int) and not isinstance(name, bool):
        name = f"{name:02d}"
    return [s for s in steps if s == str(name) or s.split("_", 1)[0] == str(name)]


@dataclass(frozen=True)
class RunLayout:
    """Paths inside one run folder.

    ``raw``        synthetic (or user-supplied) MediaCrawler export + planted truth
    ``clean``      posts.parquet, comments.parquet, exclusions.csv, flow.json
    ``sentiment``  posts_scored.parquet, comments_scored.parquet, model/, metrics
    ``models``     engagement model tables
    ``networks``   co-occurrence maps, VOSviewer files, pyvis html
    ``cnsd``       CNSD corpus, Module I files, benchmark tables
    ``results``    one ``<step>.json`` of headline numbers per notebook
    ``figures``    static figure exports
    ``notebooks``  executed notebooks (what the book renders)
    """

    root: Path

    @classmethod
    def at(cls, root: str | Path = DEFAULT_RUN_DIR) -> RunLayout:
        return cls(Path(root).resolve())

    def _dir(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def raw(self) -> Path:
        return self._dir("raw")

    @property
    def clean(self) -> Path:
        return self._dir("clean")

    @property
    def sentiment(self) -> Path:
        return self._dir("sentiment")

    @property
    def models(self) -> Path:
        return self._dir("models")

    @property
    def networks(self) -> Path:
        return self._dir("networks")

    @property
    def cnsd(self) -> Path:
        return self._dir("cnsd")

    @property
    def results(self) -> Path:
        return self._dir("results")

    @property
    def figures(self) -> Path:
        return self._dir("figures")

    @property
    def notebooks(self) -> Path:
        return self._dir("notebooks")

    def write_results(self, step: str, values: StepResults | Mapping[str, Any]) -> Path:
        """Check the headline numbers of one step against its schema and write them.

        ``values`` is the step's :mod:`helpers.book.results_schema` object (a plain mapping is
        validated the same way); a missing or mistyped field raises, an undeclared key is
        written and reported.  Sweeps and the book pages read these files.
        """
        from helpers.book.results_schema import SCHEMAS, validate

        payload = validate(step, values).as_dict() if step in SCHEMAS else dict(values)
        path = self.results / f"{step}.json"
        path.write_text(dumps(payload, indent=2))
        return path

    def read_step(self, step: str) -> StepResults:
        """``results/<step>.json`` as its typed schema object (raises if absent or invalid)."""
        from helpers.book.results_schema import schema_for

        return schema_for(step).from_dict(self.read_results(step))

    def read_results(self, step: str) -> dict[str, Any]:
        path = self.results / f"{step}.json"
        if not path.exists():
            raise FileNotFoundError(
                f"No results for step {step!r} in {self.root}: run that notebook first "
                f"(python -m helpers run --only {step})."
            )
        return json.loads(path.read_text())
