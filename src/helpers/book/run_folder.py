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
    from collections.abc import Iterable, Mapping, Sequence

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


#: The steps whose outputs each chapter reads from the run folder.  The runner starts a chapter
#: once these have finished, so with ``jobs`` > 1 independent chapters run side by side: the
#: CNSD chapter (05) reads nothing of the Xiaohongshu chapters, the semantic maps (04) need only
#: the sentiment scores, and the robustness chapter (06) reads chapter 03's corrections.
DEPENDS: dict[str, tuple[str, ...]] = {
    "01_data_cleaning": (),
    "02_sentiment": ("01_data_cleaning",),
    "03_engagement_models": ("02_sentiment",),
    "04_semantic_networks": ("02_sentiment",),
    "05_cnsd_pipeline": (),
    "06_inference_robustness": ("03_engagement_models",),
}


def prerequisites(step: str, selected: Sequence[str],
                  depends: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """The steps among ``selected`` (in run order) that must finish before ``step`` starts.

    For steps named in ``depends`` (default :data:`DEPENDS`) these are the transitive
    dependencies of ``step``; a step unknown to it (a notebook of your own), or one selected
    after such a step, waits for every step selected before it, as a sequential run would.
    """
    depends = DEPENDS if depends is None else depends
    earlier = list(selected[: list(selected).index(step)])
    if step not in depends or any(s not in depends for s in earlier):
        return earlier
    needed: set[str] = set()
    todo = list(depends[step])
    while todo:
        current = todo.pop()
        if current not in needed:
            needed.add(current)
            todo.extend(depends.get(current, ()))
    return [s for s in earlier if s in needed]


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
