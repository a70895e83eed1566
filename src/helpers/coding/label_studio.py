"""Label Studio: project definition, tasks file, a small REST client and the export reader.

Label Studio (HumanSignal, Apache-2.0) is the open annotation tool most
research groups run on a lab server.  The two coding steps become two
projects:

* ``inclusion``: a single choice ``include`` / ``exclude`` on the post text;
* ``sentiment``: a number from −1 to 1 (Label Studio's ``Number`` tag, step
  0.01) on a post or comment.

Tasks carry only the pseudonymous ``item_id`` and the cleaned text.  The JSON
export (``/api/projects/<id>/export?exportType=JSON``) lists each task with its
``annotations``; each annotation has ``completed_by`` (the annotator's user id,
an integer in Label Studio 1.x, or an object with ``id``/``email`` in some
exports), ``was_cancelled`` (a skipped task) and a ``result`` list of
``{from_name, type, value}`` regions.  :func:`read_export` turns that into one
row per item and annotator, then one column per coder.

The REST client uses ``requests`` only, so the book does not depend on the
Label Studio SDK (whose pins clash with this project's numpy and pyarrow); the
tests drive the same server through the SDK as well.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd

from helpers.coding.codebook import INCLUSION_QUESTION, SENTIMENT_QUESTION

CHOICE_NAME = "include"
SCORE_NAME = "score"
_CHOICE_VALUE = {"include": 1, "exclude": 0}


class LabelStudioError(ValueError):
    """An export or server reply cannot be used; the message says why and where."""


def labelling_config(task: str) -> str:
    """The project's labelling config (XML) for ``inclusion`` or ``sentiment``."""
    if task == "inclusion":
        control = (f'  <Header value="{escape(INCLUSION_QUESTION)}"/>\n'
                   f'  <Choices name="{CHOICE_NAME}" toName="text" choice="single-radio" required="true">\n'
                   '    <Choice value="include"/>\n'
                   '    <Choice value="exclude"/>\n'
                   '  </Choices>\n')
    elif task == "sentiment":
        control = (f'  <Header value="{escape(SENTIMENT_QUESTION)}"/>\n'
                   f'  <Number name="{SCORE_NAME}" toName="text" min="-1" max="1" step="0.01" required="true"/>\n')
    else:
        raise ValueError(f"task must be 'inclusion' or 'sentiment', not {task!r}")
    return ('<View>\n  <Text name="text" value="$text"/>\n' + control
            + '  <TextArea name="comment" toName="text" placeholder="note (optional)" maxSubmissions="1"/>\n'
            + '</View>\n')


def tasks(items: pd.DataFrame) -> list[dict]:
    """Label Studio tasks: ``{"data": {"item_id", "text"}}``, nothing else about the record."""
    if not {"item_id", "text"} <= set(items.columns):
        raise LabelStudioError("items need item_id and text columns (use helpers.coding.sampling)")
    return [{"data": {"item_id": str(i), "text": str(t)}} for i, t in zip(items["item_id"], items["text"],
                                                                        strict=True)]


def write_tasks(items: pd.DataFrame, path: str | Path) -> Path:
    """Write the tasks file for Label Studio's import (JSON list, UTF-8)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tasks(items), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _annotator(completed_by) -> str:
    if isinstance(completed_by, dict):
        return str(completed_by.get("email") or completed_by.get("id"))
    return str(completed_by)


def _answer(result: list[dict], task: str, where: str) -> tuple[float | None, str]:
    answer, comment = None, ""
    for region in result or []:
        name, value = region.get("from_name"), region.get("value") or {}
        if name == CHOICE_NAME and task == "inclusion":
            choices = value.get("choices") or []
            if len(choices) != 1 or choices[0] not in _CHOICE_VALUE:
                raise LabelStudioError(f"{where}: choice {choices!r} is not one of include/exclude; "
                                       "was the project created with another labelling config?")
            answer = float(_CHOICE_VALUE[choices[0]])
        elif name == SCORE_NAME and task == "sentiment":
            number = value.get("number")
            if number is None or not -1 <= float(number) <= 1:
                raise LabelStudioError(f"{where}: score {number!r} is not a number in [-1, 1]")
            answer = float(number)
        elif name == "comment":
            comment = " ".join(value.get("text") or [])
    return answer, comment


@dataclass
class ExportReading:
    """Per-annotator answers read from an export, plus what was left out and why."""

    long: pd.DataFrame  # item_id, annotator, answer, comment, annotation_id, updated_at
    wide: pd.DataFrame  # item_id, coder_1, coder_2, ...
    annotators: dict[str, str]  # Label Studio annotator -> coder column
    notes: list[str] = field(default_factory=list)


def read_export(export: str | Path | list, *, task: str,
                annotators: dict[str, str] | None = None) -> ExportReading:
    """Read a Label Studio JSON export into per-annotator answers.

    ``annotators`` maps Label Studio's annotator (user id as text, or e-mail
    in exports that carry it) to a coder column name; by default annotators
    become ``coder_1``, ``coder_2``, … in increasing user-id order.  Cancelled
    (skipped) annotations are left out and counted; when an annotator
    submitted twice for a task, the most recently updated one is kept.
    """
    source = "export"
    if not isinstance(export, list):
        path = Path(export)
        source = path.name
        try:
            export = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise LabelStudioError(f"{path}: not a Label Studio JSON export ({exc})") from exc
    if not isinstance(export, list):
        raise LabelStudioError(f"{source}: expected a JSON list of tasks (export type JSON, not JSON_MIN/CSV)")
    rows, notes = [], []
    cancelled = unanswered = 0
    for t_index, task_obj in enumerate(export):
        data = task_obj.get("data") or {}
        item_id = data.get("item_id")
        if item_id is None:
            raise LabelStudioError(f"{source}, task {t_index} (Label Studio id {task_obj.get('id')}): "
                                   "no data.item_id; import tasks written by helpers.coding.label_studio")
        for annotation in task_obj.get("annotations") or []:
            if annotation.get("was_cancelled"):
                cancelled += 1
                continue
            where = f"{source}, task {task_obj.get('id')}, annotation {annotation.get('id')}"
            answer, comment = _answer(annotation.get("result"), task, where)
            if answer is None:
                unanswered += 1
                continue
            rows.append({"item_id": str(item_id), "annotator": _annotator(annotation.get("completed_by")),
                         "answer": answer, "comment": comment, "annotation_id": annotation.get("id"),
                         "updated_at": annotation.get("updated_at") or annotation.get("created_at") or ""})
    long = pd.DataFrame(rows, columns=["item_id", "annotator", "answer", "comment", "annotation_id",
                                       "updated_at"])
    if cancelled:
        notes.append(f"{cancelled} skipped (cancelled) annotations left out")
    if unanswered:
        notes.append(f"{unanswered} annotations without an answer for this task left out")
    before = len(long)
    long = long.sort_values(["updated_at", "annotation_id"]).drop_duplicates(["item_id", "annotator"], keep="last")
    if len(long) < before:
        notes.append(f"{before - len(long)} earlier annotations replaced by the same annotator's later one")
    if annotators is None:
        found = sorted(long["annotator"].unique(), key=lambda a: (not a.isdigit(), int(a) if a.isdigit() else 0, a))
        annotators = {a: f"coder_{i + 1}" for i, a in enumerate(found)}
    else:
        annotators = {str(k): v for k, v in annotators.items()}
        extra = sorted(set(long["annotator"]) - set(annotators))
        if extra:
            notes.append(f"annotations by {len(extra)} annotator(s) not in the mapping left out")
            long = long.loc[long["annotator"].isin(annotators)]
    long = long.assign(coder=long["annotator"].map(annotators))
    wide = long.pivot(index="item_id", columns="coder", values="answer").reset_index()
    wide.columns.name = None
    return ExportReading(long.reset_index(drop=True), wide, annotators, notes)


class LabelStudioClient:
    """The few REST calls the round trip needs (project, tasks, export), with ``requests``.

    Authentication uses a Label Studio access token: a legacy token
    (``Authorization: Token …``) or a personal access token, which is a JWT
    refresh token exchanged at ``/api/token/refresh/`` for a short-lived
    ``Bearer`` token.
    """

    def __init__(self, url: str, token: str, timeout: float = 60.0):
        import requests

        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        if token.count(".") == 2:  # a JWT personal access token
            reply = self.session.post(f"{self.url}/api/token/refresh/", json={"refresh": token}, timeout=timeout)
            self._check(reply, "token refresh")
            self.session.headers["Authorization"] = f"Bearer {reply.json()['access']}"
        else:
            self.session.headers["Authorization"] = f"Token {token}"

    @staticmethod
    def _check(reply, what: str):
        if reply.status_code >= 400:
            raise LabelStudioError(f"Label Studio {what}: HTTP {reply.status_code}: {reply.text[:300]}")
        return reply

    def create_project(self, title: str, task: str) -> int:
        reply = self.session.post(f"{self.url}/api/projects/", json={
            "title": title, "label_config": labelling_config(task),
            "description": "Pseudonymous items from helpers.coding; see the codebook."}, timeout=self.timeout)
        return int(self._check(reply, "create project").json()["id"])

    def import_tasks(self, project: int, task_list: list[dict]) -> int:
        reply = self.session.post(f"{self.url}/api/projects/{project}/import", json=task_list,
                                  timeout=self.timeout)
        return int(self._check(reply, "import tasks").json()["task_count"])

    def task_ids(self, project: int) -> dict[str, int]:
        """Label Studio task id of each item id (paged)."""
        out, page = {}, 1
        while True:
            reply = self.session.get(f"{self.url}/api/tasks/", params={"project": project, "page": page,
                                                                        "page_size": 500}, timeout=self.timeout)
            if reply.status_code == 404:  # past the last page
                break
            body = self._check(reply, "list tasks").json()
            batch = body["tasks"] if isinstance(body, dict) else body
            for t in batch:
                out[str(t["data"]["item_id"])] = int(t["id"])
            total = body.get("total") if isinstance(body, dict) else None
            if not batch or (total is not None and len(out) >= total):
                break
            page += 1
        return out

    def submit(self, task_id: int, result: list[dict], completed_by: int | None = None) -> int:
        body: dict = {"result": result}
        if completed_by is not None:
            body["completed_by"] = completed_by
        reply = self.session.post(f"{self.url}/api/tasks/{task_id}/annotations/", json=body, timeout=self.timeout)
        return int(self._check(reply, "submit annotation").json()["id"])

    def export(self, project: int) -> list[dict]:
        reply = self.session.get(f"{self.url}/api/projects/{project}/export",
                                 params={"exportType": "JSON", "download_all_tasks": "true"}, timeout=self.timeout)
        return self._check(reply, "export").json()


def result_for(task: str, answer: float, comment: str = "") -> list[dict]:
    """The ``result`` list an annotation with this answer has (to submit through the API)."""
    if task == "inclusion":
        regions = [{"from_name": CHOICE_NAME, "to_name": "text", "type": "choices",
                    "value": {"choices": ["include" if int(answer) == 1 else "exclude"]}}]
    elif task == "sentiment":
        regions = [{"from_name": SCORE_NAME, "to_name": "text", "type": "number",
                    "value": {"number": float(answer)}}]
    else:
        raise ValueError(f"task must be 'inclusion' or 'sentiment', not {task!r}")
    if comment:
        regions.append({"from_name": "comment", "to_name": "text", "type": "textarea",
                        "value": {"text": [comment]}})
    return regions


def annotators_by_email(users: Iterable[dict], emails: dict[str, str]) -> dict[str, str]:
    """Map user ids to coder columns from ``/api/users/`` and ``{email: coder}`` (e-mails stay off pages)."""
    ids = {str(u["email"]).lower(): str(u["id"]) for u in users}
    missing = [e for e in emails if e.lower() not in ids]
    if missing:
        raise LabelStudioError(f"no Label Studio user with e-mail(s) {missing}")
    return {ids[e.lower()]: coder for e, coder in emails.items()}
