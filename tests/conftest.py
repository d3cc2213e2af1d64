"""Shared fixtures: small generated exports and splits in temporary folders.

Every test that trains writes its runs under ``tmp_path`` with absolute paths, uses the fast
profile and a from-scratch model at 64 px, so the whole suite runs in minutes on a 2-core CPU.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

os.environ.setdefault("YOLO_TRAINING_PROFILE", "fast")

import yolo_training as yt  # noqa: E402  (after the profile is set)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "datasets"


def tree_fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    """Content hash and modification time of every file below ``folder``: proof it was not touched."""
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def tiny_export(tmp_path_factory) -> Path:
    """A 30-image sample export (boxes), generated once per session. Treat it as read-only."""
    return yt.generate_sample(tmp_path_factory.mktemp("tiny") / "export", n_images=30, seed=7)


@pytest.fixture(scope="session")
def tiny_split(tiny_export, tmp_path_factory) -> Path:
    """The tiny export split 80/20 with its config.yaml; returns the config path."""
    out = tmp_path_factory.mktemp("tiny_split")
    result = yt.split_dataset(tiny_export, out, config=out / "config.yaml")
    return result.config


@pytest.fixture(scope="session")
def tiny_run(tiny_split, tmp_path_factory):
    """One real training run (from scratch, 64 px, 1 epoch) shared by the tests that read a run."""
    project = tmp_path_factory.mktemp("runs")
    return yt.train(tiny_split, model="yolov8n", epochs=1, imgsz=64, batch=8, project=project, name="tiny", verbose=False)
