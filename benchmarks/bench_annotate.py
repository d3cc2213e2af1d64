"""Label Studio round trip at class size: import N images, then pull the export of N annotated tasks.

Reference for the pull: what Label Studio's web UI does for the same project (create an export
snapshot, wait for it, download it converted to "YOLO with images"), measured in the same run
against the same server. Reference for the import: one plain multipart POST per 50 files, the
request the UI's upload dialog sends, without the package's listing of existing tasks.

    .venv/bin/python benchmarks/bench_annotate.py [--images 1000]

Needs Label Studio in its own venv (`yolo-training label install`); starts a throwaway server
on a free loopback port in a temporary folder and stops it at the end.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import yolo_training as yt
from yolo_training.core.common import list_images
from yolo_training.annotate.client import original_name


def _regions(label: Path, names: list[str]) -> list[dict]:
    out = []
    for i, line in enumerate(label.read_text().splitlines()):
        if not line.split():
            continue
        c, xc, yc, w, h = line.split()
        xc, yc, w, h = map(float, (xc, yc, w, h))
        out.append({"id": f"r{i}", "from_name": "label", "to_name": "image", "type": "rectanglelabels",
                    "original_width": 400, "original_height": 300,
                    "value": {"x": (xc - w / 2) * 100, "y": (yc - h / 2) * 100, "width": w * 100, "height": h * 100,
                              "rotation": 0, "rectanglelabels": [names[int(c)]]}})  # fmt: skip
    return out


def _ui_export(client: yt.LabelStudio, project_id: int, out: Path) -> None:
    """The web UI's route: an export snapshot, polled until ready, downloaded as YOLO with images."""
    snap = client.post(f"/api/projects/{project_id}/exports", json={}).json()
    while snap.get("status") not in ("completed", "failed"):
        time.sleep(0.2)
        snap = client.get(f"/api/projects/{project_id}/exports/{snap['id']}").json()
    if snap["status"] == "failed":
        raise RuntimeError(f"Label Studio's export snapshot failed: {snap}")
    response = client.get(
        f"/api/projects/{project_id}/exports/{snap['id']}/download", params={"exportType": "YOLO_WITH_IMAGES"}, stream=True
    )
    with open(out, "wb") as f:
        for chunk in response.iter_content(1 << 20):
            f.write(chunk)
    if not zipfile.is_zipfile(out):
        raise RuntimeError("the UI route returned no zip")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=1000)
    args = ap.parse_args()
    if not yt.label_studio_installed():
        sys.exit("Label Studio is not installed: run `yolo-training label install` first.")
    with tempfile.TemporaryDirectory(prefix="bench-annotate-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        info = yt.start_label_studio(port=yt.free_port(), home=tmp / "ls", quiet=True)
        print(f"server answered after {time.perf_counter() - t0:.0f} s")
        try:
            client = yt.connect(info.url, info.token)
            export = yt.generate_sample(tmp / "sample", n_images=args.images, seed=1)
            names = yt.read_class_names(export)

            project = yt.create_labeling_project("bench", list(names), client=client)
            t0 = time.perf_counter()
            yt.import_images(project, export / "images")
            t_import = time.perf_counter() - t0

            plain = yt.create_labeling_project("bench-plain", list(names), client=client)
            images = list_images(export / "images")
            t0 = time.perf_counter()
            for start in range(0, len(images), 50):
                handles = [open(p, "rb") for p in images[start : start + 50]]
                files = {f"file{i}": (h.name.rsplit("/", 1)[-1], h) for i, h in enumerate(handles)}
                client.post(f"/api/projects/{plain.id}/import", files=files)
                for h in handles:
                    h.close()
            t_plain_import = time.perf_counter() - t0

            # N annotated tasks in one request (one POST per annotation takes ~0.4 s on 2 cores): a project
            # whose tasks show the images uploaded above, each with the sample's boxes as its annotation
            t0 = time.perf_counter()
            tasks = []
            for t in client.tasks(project.id):
                stem = Path(original_name(t["data"]["image"])).stem
                tasks.append({"data": t["data"], "annotations": [{"result": _regions(export / "labels" / f"{stem}.txt", names)}]})
            project = yt.create_labeling_project("bench-annotated", list(names), client=client)
            client.post(f"/api/projects/{project.id}/import", json=tasks)
            t_annotate = time.perf_counter() - t0

            t0 = time.perf_counter()
            pulled = yt.pull_export(project, tmp / "annotations" / "export")
            t_pull = time.perf_counter() - t0
            assert pulled.images == args.images, pulled
            t0 = time.perf_counter()
            _ui_export(client, project.id, tmp / "ui.zip")
            t_ui = time.perf_counter() - t0
            t0 = time.perf_counter()  # the package's request alone, to tell the server's share from the unzipping
            with open(tmp / "direct.zip", "wb") as f:
                for chunk in client.get(f"/api/projects/{project.id}/export", params={"exportType": "YOLO_WITH_IMAGES"}, stream=True).iter_content(1 << 20):
                    f.write(chunk)
            t_direct = time.perf_counter() - t0
        finally:
            yt.stop_label_studio(home=tmp / "ls", quiet=True)
    n = args.images
    print(f"import {n} images: package {t_import:.1f} s ({n / t_import:.0f}/s), plain POSTs {t_plain_import:.1f} s, "
          f"ratio {t_import / t_plain_import:.2f}")  # fmt: skip
    print(f"(making {n} annotated tasks through the API took {t_annotate:.1f} s)")
    print(f"pull export of {n} annotated tasks: package {t_pull:.1f} s (download + safe unzip + swap), "
          f"web UI route {t_ui:.1f} s (snapshot + convert + download, no unzip), ratio {t_pull / t_ui:.2f}")  # fmt: skip
    print(f"  of which the export request alone: {t_direct:.1f} s")


if __name__ == "__main__":
    main()
