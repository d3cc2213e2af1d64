"""Shared fixtures: small generated exports and splits in temporary folders.

Every test that trains writes its runs under ``tmp_path`` with absolute paths, uses the fast
profile and a from-scratch model at 64 px, so the whole suite runs in minutes on a 2-core CPU.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("YOLO_TRAINING_PROFILE", "fast")

import yolo_training as yt  # after the profile is set

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


def _postgres_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    candidates = [Path(os.environ["YOLO_TRAINING_PG_BIN"])] if os.environ.get("YOLO_TRAINING_PG_BIN") else []
    candidates += [Path(found).parent] if found else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    return next((c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None)


@pytest.fixture(scope="module")
def postgres_url():
    """A throwaway PostgreSQL server on a free loopback port, in a temporary data folder (one per test module).

    Its binaries are found through ``YOLO_TRAINING_PG_BIN`` (set by .ci/run), PATH or Debian's folders;
    skipped when absent, or when running as root without a ``postgres`` user.
    """
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are not installed")
    pytest.importorskip("psycopg2")
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use its system user
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a 'postgres' user to start PostgreSQL")
        as_user = ["runuser", "-u", "postgres", "--"] if shutil.which("runuser") else []
        if not as_user:
            pytest.skip("running as root without runuser to start PostgreSQL as 'postgres'")
    data = Path(tempfile.mkdtemp(prefix="yolo-pg-"))
    if as_user:
        os.chown(data, pw.pw_uid, pw.pw_gid)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = lambda *cmd: subprocess.run([*as_user, *cmd], check=True, capture_output=True, text=True)  # noqa: E731
    try:
        run(str(bindir / "initdb"), "-D", str(data / "db"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        run(str(bindir / "pg_ctl"), "-D", str(data / "db"), "-l", str(data / "log"), "-w", "-t", "60",
            "-o", f"-h 127.0.0.1 -p {port} -k {data}", "start")
    except subprocess.CalledProcessError as err:
        shutil.rmtree(data, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {err.stderr or err.stdout}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``gpu`` need a CUDA GPU: on a machine without one they are skipped, and say why."""
    gpu_tests = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_tests:
        return
    import torch

    if torch.cuda.is_available():
        return
    reason = pytest.mark.skip(reason=f"needs a CUDA GPU; this machine has none (torch {torch.__version__}, CUDA build {torch.version.cuda})")
    for item in gpu_tests:
        item.add_marker(reason)
