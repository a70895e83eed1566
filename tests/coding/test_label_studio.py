"""Label Studio: config and tasks, the recorded real export, and a live local server end to end.

The live test starts the real ``label-studio`` server on 127.0.0.1, creates
the two projects, imports the tasks, submits coder 1's answers through the
REST API (``helpers.coding.label_studio.LabelStudioClient``) and coder 2's
through the official SDK, exports, and feeds the export through agreement and
adjudication into the files chapters 01 and 02 read.  It runs only where
Label Studio is installed (``LABEL_STUDIO_BIN`` or ``label-studio`` on PATH);
the recorded export of such a run (``fixtures/``) is tested everywhere.

Set ``RECORD_LABEL_STUDIO_FIXTURES=1`` to refresh the recorded exports.
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.coding import label_studio as ls
from helpers.coding.adjudication import read_adjudication_sheet, write_adjudication_sheet
from helpers.coding.round_trip import agreement_table, write_chapter_file
from helpers.coding.sampling import CodingSet, inclusion_set, labelling_set
from helpers.data.manual_coding import read_coding
from helpers.data.pipeline import CleaningConfig, clean_export
from helpers.sentiment.labels import read_sentiment_labels
from tests.coding import label_studio_server as server_mod
from tests.coding.conftest import SALT
from tests.coding.simulated_coders import Coder, fill_adjudication, truth_for_items

FIXTURES = Path(__file__).parent / "fixtures"
CODER_EMAILS = {"coder.one@example.org": "coder_1", "coder.two@example.org": "coder_2"}
CODERS = {"coder_1": Coder("ls-a", flip_rate=0.05, noise_sd=0.08),
          "coder_2": Coder("ls-b", flip_rate=0.08, bias=-0.04, noise_sd=0.12)}
ADJUDICATOR = Coder("ls-adjudicator", flip_rate=0.01, noise_sd=0.03)


def test_labelling_configs_are_valid_xml_with_the_controls():
    inclusion = ET.fromstring(ls.labelling_config("inclusion"))
    choices = inclusion.find("Choices")
    assert choices.get("name") == "include" and choices.get("toName") == "text"
    assert [c.get("value") for c in choices.findall("Choice")] == ["include", "exclude"]
    number = ET.fromstring(ls.labelling_config("sentiment")).find("Number")
    assert (number.get("min"), number.get("max"), number.get("step")) == ("-1", "1", "0.01")
    with pytest.raises(ValueError):
        ls.labelling_config("other")


def test_tasks_carry_only_item_id_and_text(crawl, tmp_path):
    chosen = inclusion_set(crawl.posts, salt=SALT)
    path = ls.write_tasks(chosen.items, tmp_path / "tasks.json")
    tasks = json.loads(path.read_text(encoding="utf-8"))
    assert len(tasks) == len(chosen.items)
    assert all(set(t) == {"data"} and set(t["data"]) == {"item_id", "text"} for t in tasks)
    blob = path.read_text(encoding="utf-8")
    assert not any(note_id in blob for note_id in crawl.notes["note_id"].astype(str))


@pytest.mark.parametrize("task", ["inclusion", "sentiment"])
def test_recorded_real_export_reads_per_annotator(task):
    path = FIXTURES / f"label_studio_{task}_export.json"
    meta = json.loads((FIXTURES / "label_studio_fixtures.json").read_text())
    reading = ls.read_export(path, task=task)
    assert sorted(reading.wide.columns) == ["coder_1", "coder_2", "item_id"]
    assert len(reading.wide) == meta[task]["n_tasks"]
    assert reading.wide[["coder_1", "coder_2"]].notna().all().all()
    assert any("skipped (cancelled)" in note for note in reading.notes)
    values = reading.wide[["coder_1", "coder_2"]].to_numpy().ravel()
    if task == "inclusion":
        assert set(values) <= {0.0, 1.0}
    else:
        assert values.min() >= -1 and values.max() <= 1 and len(np.unique(values)) > 10
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert {type(a["completed_by"]) for t in raw for a in t["annotations"]} == {int}
    by_annotator = ls.read_export(path, task=task, annotators={str(meta["coder_ids"]["coder_2"]): "second"})
    assert list(by_annotator.wide.columns) == ["item_id", "second"]


def test_export_errors_name_the_task(tmp_path):
    bad = [{"id": 7, "data": {"text": "x"}, "annotations": []}]
    with pytest.raises(ls.LabelStudioError, match="task 0 .*id 7.*item_id"):
        ls.read_export(bad, task="inclusion")
    wrong = [{"id": 8, "data": {"item_id": "a", "text": "x"}, "annotations": [
        {"id": 1, "completed_by": 1, "result": [{"from_name": "include", "value": {"choices": ["maybe"]}}]}]}]
    with pytest.raises(ls.LabelStudioError, match="annotation 1: choice"):
        ls.read_export(wrong, task="inclusion")
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(ls.LabelStudioError, match="not a Label Studio JSON export"):
        ls.read_export(tmp_path / "x.json", task="inclusion")


def test_a_later_annotation_replaces_an_earlier_one_by_the_same_annotator():
    export = [{"id": 1, "data": {"item_id": "a", "text": "x"}, "annotations": [
        {"id": 1, "completed_by": 3, "updated_at": "2026-01-01T00:00:00Z", "result": ls.result_for("sentiment", 0.1)},
        {"id": 2, "completed_by": 3, "updated_at": "2026-01-02T00:00:00Z", "result": ls.result_for("sentiment", -0.4)},
        {"id": 3, "completed_by": {"id": 4, "email": "x@example.org"}, "result": ls.result_for("sentiment", 0.0)},
    ]}]
    reading = ls.read_export(export, task="sentiment")
    assert reading.wide.loc[0, "coder_1"] == -0.4 and reading.wide.loc[0, "coder_2"] == 0.0
    assert any("replaced" in note for note in reading.notes)


# --- live server ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    binary = server_mod.label_studio_bin()
    required = os.environ.get("XHS_REQUIRE_LABEL_STUDIO") == "1"  # CI: fail instead of skipping
    missing = pytest.fail if required else pytest.skip
    if binary is None:
        missing("label-studio is not installed (set LABEL_STUDIO_BIN; see requirements-label-studio.txt)")
    python = server_mod.sdk_python(binary)
    if python is None:
        missing("label-studio-sdk is not installed next to label-studio")
    server = server_mod.start(binary, tmp_path_factory.mktemp("label_studio"))
    yield server, python
    server.stop()


def _create_coders(client: ls.LabelStudioClient) -> tuple[dict[str, int], dict[str, str]]:
    for email in CODER_EMAILS:
        reply = client.session.post(f"{client.url}/api/users/", json={"email": email, "username": email.split("@")[0]},
                                    timeout=60)
        client._check(reply, "create user")
    users = client.session.get(f"{client.url}/api/users/", timeout=60).json()
    mapping = ls.annotators_by_email(users, CODER_EMAILS)
    return {coder: int(uid) for uid, coder in mapping.items()}, mapping


def _run_project(server, python, client, coder_ids, mapping, coding_set, truth, tmp_path, seed):
    task = coding_set.task
    project = client.create_project(f"{task} coding (test)", task)
    assert client.import_tasks(project, ls.tasks(coding_set.items)) == len(coding_set.items)
    task_ids = client.task_ids(project)
    assert set(task_ids) == set(coding_set.items["item_id"])
    items = coding_set.items["item_id"].tolist()
    answers = {name: CODERS[name].answer(truth.reindex(items).to_numpy(), task, seed) for name in CODERS}
    for item, value in zip(items, answers["coder_1"], strict=True):  # coder 1 through the REST API
        client.submit(task_ids[item], ls.result_for(task, value), completed_by=coder_ids["coder_1"])
    sdk_annotations = [{"task": task_ids[items[0]], "result": [], "completed_by": coder_ids["coder_2"],
                        "was_cancelled": True}]  # coder 2 first skips one task, then answers it
    sdk_annotations += [{"task": task_ids[item], "result": ls.result_for(task, value),
                         "completed_by": coder_ids["coder_2"]} for item, value in zip(items, answers["coder_2"],
                                                                                        strict=True)]
    (tmp_path / f"{task}_sdk.json").write_text(json.dumps(sdk_annotations))
    sdk_export = tmp_path / f"{task}_sdk_export.json"
    run = subprocess.run([str(python), str(Path(__file__).with_name("ls_sdk_client.py")), server.url, server.token,
                          str(project), str(tmp_path / f"{task}_sdk.json"), str(sdk_export)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    export = client.export(project)  # the REST export, as the book's client fetches it
    rest = ls.read_export(export, task=task, annotators=mapping)
    sdk = ls.read_export(sdk_export, task=task, annotators=mapping)
    pd.testing.assert_frame_equal(rest.wide.sort_values("item_id").reset_index(drop=True),
                                  sdk.wide.sort_values("item_id").reset_index(drop=True))
    assert any("skipped (cancelled)" in note for note in rest.notes)
    coded = coding_set.items[["item_id"]].merge(rest.wide, on="item_id", how="left")
    for name in CODERS:  # what the server returns is exactly what each coder submitted
        np.testing.assert_allclose(coded[name].to_numpy(), answers[name])
    if os.environ.get("RECORD_LABEL_STUDIO_FIXTURES"):
        FIXTURES.mkdir(exist_ok=True)
        (FIXTURES / f"label_studio_{task}_export.json").write_text(
            json.dumps(export, ensure_ascii=False, indent=1), encoding="utf-8")
    return coded, len(export)


@pytest.mark.label_studio
def test_round_trip_through_a_live_label_studio(live_server, crawl, tmp_path):
    server, python = live_server
    client = ls.LabelStudioClient(server.url, server.token)
    coder_ids, mapping = _create_coders(client)

    full = inclusion_set(crawl.posts, salt=SALT, seed=21, pilot_size=30)
    pilot = full.items["pilot"].to_numpy()
    inclusion = CodingSet("inclusion", full.items[pilot].reset_index(drop=True),
                          full.key[pilot].reset_index(drop=True), full.seed)  # the pilot keeps the server run short
    truth = truth_for_items(inclusion.key, crawl.truth_posts, None, "inclusion")
    coded, n_inclusion = _run_project(server, python, client, coder_ids, mapping, inclusion, truth, tmp_path, 1)
    table = agreement_table(inclusion, coded)
    assert table.loc["inclusion (all posts)", "n"] == len(inclusion.items)
    sheet, _ = write_adjudication_sheet(coded, inclusion, tmp_path / "inclusion_adjudication.xlsx")
    fill_adjudication(sheet, ADJUDICATOR, truth, "inclusion", seed=2)
    path = write_chapter_file(inclusion, coded, read_adjudication_sheet(sheet, task="inclusion"), tmp_path / "raw")
    coding = read_coding(path)
    assert coding.kappa == pytest.approx(table.loc["inclusion (all posts)", "value"])
    result = clean_export(crawl.raw, CleaningConfig(salt=SALT, coding_file=path))
    assert len(result.posts) == int(pd.read_csv(path)["include"].sum())

    labelling = labelling_set(crawl.posts, crawl.comments, salt=SALT, size=60, seed=22)
    truth = truth_for_items(labelling.key, crawl.truth_posts, crawl.truth_comments, "sentiment")
    coded, n_sentiment = _run_project(server, python, client, coder_ids, mapping, labelling, truth, tmp_path, 3)
    scores = agreement_table(labelling, coded, n_boot=200).set_index("statistic")
    assert scores.loc["ICC(2,1) absolute agreement", "value"] > 0.8
    sheet, _ = write_adjudication_sheet(coded, labelling, tmp_path / "sentiment_adjudication.xlsx")
    fill_adjudication(sheet, ADJUDICATOR, truth, "sentiment", seed=4)
    path = write_chapter_file(labelling, coded, read_adjudication_sheet(sheet, task="sentiment"), tmp_path / "raw")
    labels = read_sentiment_labels(path, resolution="adjudicate")
    assert len(labels.data) == 60
    if os.environ.get("RECORD_LABEL_STUDIO_FIXTURES"):
        version = subprocess.run([str(python), "-c", "import label_studio, label_studio_sdk as s; "
                                  "print(label_studio.__version__, s.__version__ if hasattr(s, '__version__') else '')"],
                                 capture_output=True, text=True, timeout=120).stdout.split()
        (FIXTURES / "label_studio_fixtures.json").write_text(json.dumps({
            "label_studio": version[0] if version else "unknown",
            "recorded_by": "tests/coding/test_label_studio.py::test_round_trip_through_a_live_label_studio",
            "coder_ids": coder_ids, "inclusion": {"n_tasks": n_inclusion}, "sentiment": {"n_tasks": n_sentiment},
        }, indent=1))
