"""Submit one coder's annotations and export the project through the Label Studio SDK.

Run with the Python of Label Studio's own environment (the SDK pins numpy
below this project's), e.g.::

    python ls_sdk_client.py URL TOKEN PROJECT annotations.json export.json

``annotations.json`` is a list of ``{"task": id, "result": [...], "completed_by": user id}``.
The export is written as Label Studio's JSON export.
"""

from __future__ import annotations

import json
import sys


def main(url: str, token: str, project: int, annotations_path: str, export_path: str) -> int:
    from label_studio_sdk import LabelStudio

    client = LabelStudio(base_url=url, api_key=token)
    with open(annotations_path, encoding="utf-8") as handle:
        annotations = json.load(handle)
    for item in annotations:
        client.annotations.create(id=item["task"], result=item["result"], completed_by=item["completed_by"],
                                  was_cancelled=bool(item.get("was_cancelled", False)))
    chunks = client.projects.exports.download_sync(id=project, export_type="JSON", download_all_tasks=True)
    with open(export_path, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
    print(f"submitted {len(annotations)} annotations through the SDK; export written")
    return 0


if __name__ == "__main__":
    url, token, project, annotations_path, export_path = sys.argv[1:6]
    sys.exit(main(url, token, int(project), annotations_path, export_path))
