"""The workshop kit: the pack refuses before downloading, the scripts are valid, and a real pack
installs without network and trains.

The heavy test (marked ``workshop``: ``-m "not workshop"`` leaves it out) builds a pack for this
machine from the package registries pip is configured with (pip's cache makes a second build
fast), installs it with its own ``install.sh`` into a fresh virtual environment inside a network
namespace without network (``unshare -n``), then runs ``yolo-training doctor`` and a tiny training
there. The pack and the environment (about 10 GB) are deleted at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request
import zipfile

import pytest

import yolo_training as yt
from yolo_training.course import chapters as chapter
from yolo_training.classroom import workshop
from yolo_training.classroom import preflight as readiness
from conftest import tree_fingerprint

PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"


def test_platforms_and_python_versions_are_checked_first(tmp_path):
    assert workshop.this_platform() in workshop.PLATFORMS
    with pytest.raises(yt.YoloTrainingError, match="Unknown platform 'solaris': use linux, windows, macos, macos-intel"):
        yt.pack(tmp_path / "pack", ["solaris"])
    with pytest.raises(yt.YoloTrainingError, match="not like 3.11"):
        yt.pack(tmp_path / "pack", python_versions=["3"])
    with pytest.raises(yt.YoloTrainingError, match="3.10 or newer"):
        yt.pack(tmp_path / "pack", python_versions=["3.8"])
    assert not (tmp_path / "pack").exists()


def test_a_disk_too_small_is_refused_before_anything_is_downloaded(tmp_path, monkeypatch):
    free = 500 * 2**20
    real = shutil.disk_usage
    monkeypatch.setattr(workshop.shutil, "disk_usage", lambda p: real(p)._replace(free=free))
    monkeypatch.setattr(workshop, "_run_pip", lambda *a, **k: pytest.fail("pip ran although the disk is too small"))
    with pytest.raises(yt.DiskSpaceError, match=r"needs about .* GiB \(wheels \(windows\).*but .* has 0.49 GiB free\. Nothing was downloaded"):
        yt.pack(tmp_path / "pack", ["windows", "macos"])
    assert not (tmp_path / "pack").exists()


def test_a_folder_of_other_files_is_never_replaced(tmp_path, monkeypatch):
    out = tmp_path / "usb-stick"
    out.mkdir()
    (out / "photos.txt").write_text("my own notes")
    before = tree_fingerprint(out)
    monkeypatch.setattr(workshop, "_run_pip", lambda *a, **k: pytest.fail("pip ran on a folder that is not a pack"))
    with pytest.raises(yt.NotGeneratedError, match="did not write"):
        yt.pack(out, overwrite=True)
    assert tree_fingerprint(out) == before


def test_torch_and_torchvision_must_be_the_same_build():
    cpu_torch = "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
    cuda_vision = "torchvision-0.28.0-cp311-cp311-manylinux_2_28_x86_64.whl"
    assert workshop.torch_pin([cpu_torch, cuda_vision]) == "torch===2.13.0"
    assert workshop.torch_pin([cpu_torch, "torchvision-0.28.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"]) is None
    assert workshop.torch_pin(["torch-2.14.1-cp311-cp311-win_amd64.whl", "torchvision-0.29.1-cp311-cp311-win_amd64.whl"]) is None


def test_the_weights_are_the_ones_the_notebooks_name(tmp_path):
    names = yt.course_weights()
    assert {"yolov8n", "yolo11n"} <= set(names) and set(names) <= set(yt.model_names())
    (tmp_path / "01_x.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "code", "source": ["yt.train(CONFIG, model='yolo11s-seg')\n"]},
        {"cell_type": "markdown", "source": ["yolov8x is big"]},
    ]}))
    assert yt.course_weights(tmp_path) == ["yolo11s-seg"]


def test_install_scripts_are_filled_in_and_valid(tmp_path):
    report = workshop.PackReport(folder=tmp_path, platforms={"linux-cp311": {"bytes": 3 * 2**30, "files": 150, "torch": "x"}})
    targets = [workshop.PLATFORMS[n] for n in ("linux", "windows", "macos")]
    workshop._scripts(tmp_path, targets, ["3.11", "3.12"], ("annotate", "explore", "onnx"), report)
    for name in ("install.sh", "install.ps1", "README.txt"):
        text = (tmp_path / name).read_text()
        assert "@@" not in text and "3.11 3.12" in text
    assert os.access(tmp_path / "install.sh", os.X_OK)
    assert b"\r\n" in (tmp_path / "install.ps1").read_bytes() and b"\r\n" not in (tmp_path / "install.sh").read_bytes()
    assert 'yolo-training[$EXTRAS]' in (tmp_path / "install.sh").read_text() and 'EXTRAS="annotate,explore,onnx"' in (tmp_path / "install.sh").read_text()
    assert subprocess.run(["sh", "-n", str(tmp_path / "install.sh")], capture_output=True).returncode == 0
    if shutil.which("pwsh"):
        parse = ("$e = $null; [System.Management.Automation.Language.Parser]::ParseFile("
                 f"'{tmp_path / 'install.ps1'}', [ref]$null, [ref]$e) | Out-Null; exit $e.Count")
        assert subprocess.run(["pwsh", "-NoProfile", "-Command", parse]).returncode == 0


def test_readiness_is_one_line_with_the_expected_chapter_times(monkeypatch):
    facts, line = yt.readiness(probe_seconds=0.5)
    assert line.startswith("Workshop: READY - packages complete") and "\n" not in line
    assert facts["ready"] and facts["cores"] >= 1 and facts["probe"]["steps"] >= 1
    assert set(facts["expected_seconds"]) == set(chapter.CHAPTER_MINUTES)
    assert "(expected: chapters 4 to 7 ~" in line or "its times are chapters 4 to 7 ~" in line
    score = facts["probe"]["steps_per_second"]
    monkeypatch.setattr(chapter, "REFERENCE_SPEED", score)  # this machine is the reference: the measured times
    assert readiness.expected_times(score, 1.0) == pytest.approx({c: m * 60 for c, m in chapter.CHAPTER_MINUTES.items()})
    monkeypatch.setattr(chapter, "REFERENCE_SPEED", score / 2)  # twice as fast: the rest halves, the time budgets hold
    fast = readiness.expected_times(score, 1.0)
    assert chapter.BUDGETS["course"].minutes * 60 <= fast[4] < chapter.CHAPTER_MINUTES[4] * 60
    assert fast[1] == pytest.approx(chapter.CHAPTER_MINUTES[1] * 60 / 2)
    assert "speed 2.0x the reference machine (expected: chapters 4 to 7 ~" in readiness._readiness_line(facts, 6)
    assert not readiness._judge(facts)[1][1:]  # no advice beyond the missing weights
    monkeypatch.setattr(chapter, "REFERENCE_SPEED", score * 4)  # four times slower: told what to set, and how long it then takes
    slow = readiness.expected_times(score, 4.0)
    assert slow[4] > 3.5 * chapter.CHAPTER_MINUTES[4] * 60
    advice = readiness._judge(facts)[1][-1]
    assert "set YOLO_TRAINING_TIME_SCALE=4.0 for models as good as the reference's (chapters 4 to 7 then take ~" in advice
    monkeypatch.setattr(readiness, "MIN_FREE_GIB", 10**6)
    facts, line = yt.readiness(probe_seconds=0)
    assert not facts["ready"] and line.startswith("Workshop: NOT READY") and "To fix: only" in line


def _pypi_reachable() -> bool:
    try:
        with urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=10):
            return True
    except Exception:
        return False


def test_the_pack_as_one_file_keeps_every_file_and_the_scripts_executable(tmp_path, monkeypatch):
    pack = tmp_path / "workshop-pack"
    (pack / "wheels").mkdir(parents=True)
    (pack / workshop.PACK_MARKER).write_text("made by the test\n")
    (pack / "wheels" / "torch-2.14.1-cp311-cp311-win_amd64.whl").write_bytes(os.urandom(4096))
    (pack / "install.sh").write_text("#!/bin/sh\necho hi\n")
    (pack / "install.sh").chmod(0o755)
    archive = yt.archive_pack(pack)
    assert archive == tmp_path / "workshop-pack.zip"
    with zipfile.ZipFile(archive) as zf:
        names = sorted(zf.namelist())
        assert names == [f"workshop-pack/{workshop.PACK_MARKER}", "workshop-pack/install.sh",
                         "workshop-pack/wheels/torch-2.14.1-cp311-cp311-win_amd64.whl"]
        assert zf.getinfo("workshop-pack/install.sh").external_attr >> 16 & 0o111  # still executable when unzipped
        assert zf.read("workshop-pack/wheels/torch-2.14.1-cp311-cp311-win_amd64.whl") == (
            pack / "wheels" / "torch-2.14.1-cp311-cp311-win_amd64.whl").read_bytes()
    assert yt.archive_pack(pack) == archive  # its own archive is replaced
    other = tmp_path / "notes"
    other.mkdir()
    with pytest.raises(yt.NotGeneratedError, match="not a workshop pack"):
        yt.archive_pack(other)
    archive.write_text("someone's file")
    with pytest.raises(yt.NotGeneratedError, match="not an archive of this pack"):
        yt.archive_pack(pack)
    assert archive.read_text() == "someone's file"
    archive.unlink()
    real = shutil.disk_usage
    monkeypatch.setattr(workshop.shutil, "disk_usage", lambda p: real(p)._replace(free=100))
    with pytest.raises(yt.DiskSpaceError, match="needs about"):
        yt.archive_pack(pack)
    assert not archive.exists() and not list(tmp_path.glob("*.part"))


def test_another_platform_gets_its_own_dependencies(tmp_path):
    """pip alone would evaluate ``sys_platform == "win32"`` for this Linux machine: Windows needs colorama and pywinpty, no NVIDIA."""
    if not _pypi_reachable():
        pytest.skip("PyPI is not reachable: resolving for Windows needs it")
    wheel = workshop.build_project_wheel(tmp_path / "wheel")
    target = workshop.PLATFORMS["windows"]
    report = tmp_path / "report.json"
    command = [*workshop._pip(target, PYTHON), "install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
               "--only-binary=:all:", "--platform", "win_amd64", "--python-version", PYTHON, "--implementation", "cp",
               f"{wheel}[{','.join(workshop.COURSE_EXTRAS)}]"]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    names = {i["metadata"]["name"].lower() for i in json.loads(report.read_text())["install"]}
    assert {"colorama", "pywinpty", "torch", "ultralytics", "yolo-training", "optuna", "onnxruntime"} <= names
    assert not {n for n in names if n.startswith(("nvidia-", "triton", "cuda-")) and n != "nvidia-ml-py"}  # ml-py: pure Python, any OS


def _clean_env(**extra) -> dict:
    """This process's environment without what would make the installed package not the one used."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "YOLO_TRAINING_HOME", "VIRTUAL_ENV"))}
    return {**env, **extra}


TRAIN = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import yolo_training as yt
    out = Path(sys.argv[1])
    export = yt.generate_sample(out / "export", n_images=24, seed=3)
    split = yt.split_dataset(export, out / "split", config=out / "split" / "config.yaml")
    run = yt.train(split.config, model="yolov8n", epochs=1, imgsz=64, batch=8, project=out / "runs", name="offline", verbose=False)
    print(json.dumps({"offline": yt.core.env.is_offline(), "best": run.best.is_file(), "package": yt.__file__}))
    """
)


@pytest.mark.workshop
def test_a_pack_installs_without_network_and_trains(tmp_path_factory, capsys):
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode:
        pytest.skip("`unshare -n` is not allowed here (it needs root or unprivileged user namespaces): no network-free namespace to install in")
    work = tmp_path_factory.mktemp("workshop")
    pack, dest = work / "pack", work / "student"
    try:
        workshop.check_disk(pack, [workshop.this_platform()], [PYTHON])
    except yt.DiskSpaceError as err:
        pytest.skip(str(err))
    if shutil.disk_usage(work).free < 14 * 2**30:
        pytest.skip("less than 14 GiB free under the test's folder: the pack (~3 GB) and its installation (~7 GB) need it")
    try:
        start = time.perf_counter()
        report = yt.pack(pack, instructor=True, torch_index="none")
        packed = time.perf_counter() - start
        assert (pack / "install.sh").is_file() and (pack / "course" / "04_training.ipynb").is_file()
        assert len(list((pack / "wheels").glob("yolo_training-*.whl"))) == 1
        assert json.loads((pack / "pack.json").read_text())["per_platform"] == report.platforms

        start = time.perf_counter()
        env = _clean_env(PYTHON=sys._base_executable, HOME=str(work))
        install = subprocess.run(["unshare", "-n", "sh", str(pack / "install.sh"), str(dest)], env=env,
                                 capture_output=True, text=True, timeout=1800)
        installed = time.perf_counter() - start
        output = install.stdout + install.stderr
        assert install.returncode == 0, output[-5000:]
        assert "Workshop: READY" in output and "offline: True" in output
        assert (dest / "04_training.ipynb").is_file() and (dest / "annotations" / "export").is_dir() and (dest / "start.sh").is_file()

        start = time.perf_counter()
        train = subprocess.run(["unshare", "-n", str(dest / ".venv" / "bin" / "python"), "-c", TRAIN, str(work / "train")],
                               env=_clean_env(YOLO_TRAINING_HOME=str(dest), YOLO_TRAINING_PROFILE="fast"),
                               capture_output=True, text=True, timeout=900, cwd=work)
        trained = time.perf_counter() - start
        assert train.returncode == 0, (train.stdout + train.stderr)[-5000:]
        result = json.loads(train.stdout.strip().splitlines()[-1])
        assert result["offline"] and result["best"] and result["package"].startswith(str(dest / ".venv"))
        with capsys.disabled():
            size = report.platforms[f"{workshop.this_platform()}-cp{PYTHON.replace('.', '')}"]["bytes"] / 2**30
            print(f"\n[workshop] pack {size:.2f} GiB built in {packed:.0f} s; offline install {installed:.0f} s; "
                  f"tiny training {trained:.0f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
