"""Hosted notebooks, simulated: Colab and Kaggle recognised by their environment, a folder standing for
Google Drive, a training killed by a "disconnect" and resumed in a new "runtime", and the course's wheel
installed into a fresh virtual environment as the hosted install cell does.

Google Drive is a temporary folder; ``google.colab.drive`` is a tiny fake module on ``PYTHONPATH``
whose ``mount`` makes ``MyDrive`` there. Every run that changes the project folder happens in a
subprocess with its own Ultralytics config folder, so neither this process nor the checkout is touched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import venv
from pathlib import Path

import pandas as pd
import pytest

import yolo_training as yt
from yolo_training.core import runtime

ROOT = Path(__file__).resolve().parent.parent
COLAB = {"COLAB_RELEASE_TAG": "release-colab-20260101-060000-RC00", "COLAB_BACKEND_VERSION": "1.0.0"}
KAGGLE = {"KAGGLE_URL_BASE": "https://www.kaggle.com", "KAGGLE_KERNEL_RUN_TYPE": "Interactive"}
FAKE_DRIVE = '''
"""A stand-in for google.colab.drive: mount() makes MyDrive in the mount point, as Colab's does."""
from pathlib import Path


def mount(mountpoint, force_remount=False, timeout_ms=120000, readonly=False):
    Path(mountpoint, "MyDrive").mkdir(parents=True, exist_ok=True)
    print(f"Mounted at {mountpoint}")
'''


def _no_runtime_signals(monkeypatch) -> None:
    for name in [*COLAB, *KAGGLE, "YOLO_TRAINING_HOME"]:
        monkeypatch.delenv(name, raising=False)


def fake_colab(folder: Path) -> Path:
    """A folder for PYTHONPATH holding google/colab/drive.py (``google`` stays a namespace package, as protobuf's is)."""
    package = folder / "google" / "colab"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "drive.py").write_text(FAKE_DRIVE, encoding="utf-8")
    return folder


#: Runs in a "hosted runtime": argv[1] is the folder standing for /content/drive, then the calls to make.
HOSTED = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import yolo_training as yt
    from yolo_training.core import env, runtime
    from ultralytics.utils import SETTINGS

    runtime.DRIVE_MOUNT = Path(sys.argv[1])
    runtime.KAGGLE_WORKING = Path(sys.argv[2])
    seen = []
    for call in sys.argv[3:]:
        info = yt.start_chapter(needs="project") if call == "chapter" else yt.hosted(drive=call == "drive")
        seen.append(dict(runtime=getattr(info, "runtime", None), root=str(env.project_root()),
                         persistent=getattr(info, "persistent", None), line=getattr(info, "line", None)))
    print("RESULT " + json.dumps(dict(seen=seen, runs_dir=SETTINGS["runs_dir"], file=yt.__file__,
                                      font=env.font_installed())))
    """
)


def run_hosted(tmp: Path, signals: dict, *calls: str, home: Path | None = None, python: str = sys.executable) -> dict:
    """Run :data:`HOSTED` with the runtime's environment; ``home`` is the project before (None: the current folder)."""
    content = tmp / "content"
    content.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in (*COLAB, *KAGGLE, "YOLO_TRAINING_HOME")}
    env.update(signals, PYTHONPATH=str(fake_colab(tmp / "fake")), YOLO_CONFIG_DIR=str(content / ".config"))
    if "KAGGLE_URL_BASE" in signals:
        env["PWD"] = "/kaggle/working"  # what Ultralytics' is_kaggle() reads
    if home is not None:
        env["YOLO_TRAINING_HOME"] = str(home)
    proc = subprocess.run([python, "-c", HOSTED, str(tmp / "drive"), str(tmp / "kaggle" / "working"), *calls],
                          cwd=content, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout.split("RESULT ", 1)[1])
    result["stdout"] = proc.stdout
    return result


def test_runtimes_are_recognised_by_ultralytics_signals(monkeypatch):
    _no_runtime_signals(monkeypatch)
    assert runtime.hosted_runtime() is None
    for name, value in COLAB.items():  # either of Colab's variables is enough
        monkeypatch.setenv(name, value)
        assert runtime.hosted_runtime() == "colab"
        monkeypatch.delenv(name)
    monkeypatch.setenv("KAGGLE_URL_BASE", KAGGLE["KAGGLE_URL_BASE"])
    monkeypatch.setenv("PWD", "/somewhere/else")
    assert runtime.hosted_runtime() is None  # Kaggle needs both of its signals
    monkeypatch.setenv("PWD", "/kaggle/working")
    assert runtime.hosted_runtime() == "kaggle"


def test_off_hosted_runtimes_nothing_changes(monkeypatch, tmp_path, capsys):
    _no_runtime_signals(monkeypatch)
    monkeypatch.setenv("YOLO_TRAINING_HOME", str(tmp_path))
    info = yt.hosted(drive=True)
    assert (info.runtime, info.root, info.persistent) == (None, tmp_path.resolve(), True)
    assert capsys.readouterr().out == ""  # start_chapter's single line stays single on a laptop
    assert os.environ["YOLO_TRAINING_HOME"] == str(tmp_path)


def test_colab_without_drive_says_the_runs_would_be_lost(monkeypatch, tmp_path, capsys):
    _no_runtime_signals(monkeypatch)
    monkeypatch.setenv("COLAB_RELEASE_TAG", COLAB["COLAB_RELEASE_TAG"])
    monkeypatch.setenv("YOLO_TRAINING_HOME", str(tmp_path / "content"))
    monkeypatch.setattr(runtime, "DRIVE_MOUNT", tmp_path / "drive")  # never mounted
    monkeypatch.setattr(runtime, "gpu_names", lambda: ())  # a CPU runtime, whatever this machine has
    info = yt.hosted()
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.strip() == info.line
    assert info.runtime == "colab" and not info.persistent and info.root == (tmp_path / "content").resolve()
    assert "Google Colab without a GPU" in out and "slow" in out and "Runtime > Change runtime type > T4 GPU" in out
    assert "wipes when the runtime disconnects: yt.hosted(drive=True)" in out
    # drive=True where Google Drive cannot be mounted: a message, and the project did not move
    monkeypatch.setitem(sys.modules, "google.colab", None)
    with pytest.raises(yt.YoloTrainingError, match="google.colab is not importable"):
        yt.hosted(drive=True)
    assert yt.project_root() == (tmp_path / "content").resolve()


def test_a_gpu_runtime_names_its_gpus(monkeypatch, tmp_path, capsys):
    _no_runtime_signals(monkeypatch)
    monkeypatch.setenv("COLAB_BACKEND_VERSION", COLAB["COLAB_BACKEND_VERSION"])
    monkeypatch.setenv("YOLO_TRAINING_HOME", str(tmp_path))
    monkeypatch.setattr(runtime, "DRIVE_MOUNT", tmp_path / "drive")
    monkeypatch.setattr(runtime, "gpu_names", lambda: ("Tesla T4 (15 GB)",))
    assert yt.hosted().line.startswith("Google Colab with a GPU: Tesla T4 (15 GB). Project in ")
    monkeypatch.setattr(runtime, "gpu_names", lambda: ("Tesla T4 (15 GB)", "Tesla T4 (15 GB)"))
    assert yt.hosted().line.startswith("Google Colab with 2 GPUs: Tesla T4 (15 GB) each. ")
    assert "slow" not in capsys.readouterr().out


def test_colab_drive_keeps_the_project_and_seeds_it(tmp_path):
    content = tmp_path / "content"
    export = yt.generate_sample(content / "annotations" / "export", n_images=6, seed=1)
    result = run_hosted(tmp_path, COLAB, "auto", "drive", "auto", "chapter", home=content)
    before, mounted, again, chapter = result["seen"]
    drive = (tmp_path / "drive" / "MyDrive" / "yolo-training").resolve()
    assert before["root"] == str(content.resolve()) and before["persistent"] is False
    assert "Mounted at" in result["stdout"]
    assert mounted["root"] == str(drive) and mounted["persistent"] is True
    assert f"Project on Google Drive, kept when the runtime disconnects: {drive}; the export of {content.resolve()} was copied there." in mounted["line"]
    copied = drive / "annotations" / "export"
    assert sorted(p.name for p in copied.rglob("*")) == sorted(p.name for p in export.rglob("*"))
    # later calls (start_chapter's, in every chapter) keep Drive and copy nothing again
    assert again["root"] == str(drive) and "copied" not in again["line"]
    assert chapter["root"] == str(drive) and "Project in yolo-training" in result["stdout"]
    # Ultralytics' own settings follow, and the plot font is in the new project
    assert result["runs_dir"] == str(drive / "runs") and result["font"] is True


def test_kaggle_keeps_the_project_in_its_working_folder(tmp_path):
    source = tmp_path / "source"
    yt.generate_sample(source / "annotations" / "export", n_images=4, seed=2)
    result = run_hosted(tmp_path, KAGGLE, "auto", "drive", home=source)
    first, second = result["seen"]
    working = (tmp_path / "kaggle" / "working").resolve()
    assert first["runtime"] == "kaggle" and first["root"] == str(working) and first["persistent"] is True
    assert "Kaggle without a GPU" in first["line"] and "Settings > Accelerator > GPU" in first["line"]
    assert "kept with the notebook" in first["line"] and "was copied there" in first["line"]
    assert len(list((working / "annotations" / "export" / "images").iterdir())) == 4
    assert second["root"] == str(working) and "copied" not in second["line"]  # drive=True means nothing on Kaggle


CHAPTER_4 = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import yolo_training as yt
    from yolo_training.core import runtime

    runtime.DRIVE_MOUNT = Path(sys.argv[1])
    yt.hosted(drive=True)                       # the student asked for Drive
    ch = yt.start_chapter(4, needs="split")     # the chapter's first cell

    def disconnect_in_second_epoch(trainer):
        if trainer.epoch == 1:
            print("MID-EPOCH", flush=True)
            time.sleep(300)  # the test kills the "kernel" here

    if sys.argv[2] == "train":                  # chapter 4's training cell
        yt.train(ch.config, name="course", overwrite=True, verbose=False, plots=False,
                 callbacks={"on_train_batch_end": disconnect_in_second_epoch}, **ch.budget("course"))
    else:                                       # after reconnecting: the same call as after a stop
        run = yt.resume("course", verbose=True)
        print("RESUMED", run.dir, flush=True)
    """
)


def _runtime_env(tmp: Path, content: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in (*COLAB, *KAGGLE)}
    return env | COLAB | {"PYTHONPATH": str(fake_colab(tmp / "fake")), "YOLO_TRAINING_HOME": str(content),
                          "YOLO_CONFIG_DIR": str(content / ".config"), "YOLO_TRAINING_PROFILE": "fast",
                          "YOLO_TRAINING_THREADS": "1"}


def epochs_in(csv: Path) -> list[int]:
    table = pd.read_csv(csv)
    table.columns = [c.strip() for c in table.columns]
    return [int(e) for e in table["epoch"]]


@pytest.mark.slow
def test_a_disconnect_in_chapter_4_resumes_from_drive_without_repeating_epochs(tmp_path):
    content, drive = tmp_path / "content", tmp_path / "drive"
    yt.generate_sample(content / "annotations" / "export", n_images=20, seed=3)
    proc = subprocess.Popen([sys.executable, "-c", CHAPTER_4, str(drive), "train"], cwd=tmp_path, env=_runtime_env(tmp_path, content),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    folder = drive / "MyDrive" / "yolo-training" / "runs" / "detect" / "course"
    seen = []
    try:
        deadline = time.time() + 240
        for line in proc.stdout:  # the first epoch's last.pt is on Drive and the second epoch runs: the connection drops
            seen.append(line)
            if ("MID-EPOCH" in line and (folder / "weights" / "last.pt").is_file()) or time.time() > deadline:
                break
        assert (folder / "weights" / "last.pt").is_file() and any("MID-EPOCH" in s for s in seen), "".join(seen[-40:])
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the runtime is gone: no clean-up of any kind
        proc.wait(30)
    assert epochs_in(folder / "results.csv") == [1]
    # A new runtime: the old disk is wiped (its project copy and Ultralytics' config), another machine
    # (its run record names the old host), Drive is all that is left.
    shutil.rmtree(content)
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "training"
    (folder / "run.json").write_text(json.dumps({**record, "host": "colab-vm-before-the-disconnect"}))
    content.mkdir()
    again = subprocess.run([sys.executable, "-c", CHAPTER_4, str(drive), "resume"], cwd=tmp_path, env=_runtime_env(tmp_path, content),
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "Project on Google Drive" in again.stdout and "split made now" not in again.stdout  # the split was on Drive
    assert "Resuming course at epoch 2/2" in again.stdout and f"RESUMED {folder.resolve()}" in again.stdout
    assert epochs_in(folder / "results.csv") == [1, 2]  # epoch 2 trained once, epoch 1 not again
    record = json.loads((folder / "run.json").read_text())
    assert (record["status"], record["resumed"]) == ("completed", 1)
    assert sorted(p.name for p in folder.parent.iterdir()) == ["course"]  # no course2, no coco8 side run
    assert not list(content.rglob("*.pt"))  # nothing of the run went to the runtime's disk


def _wheel(tmp: Path) -> Path:
    """The course's wheel, built from a copy of the sources (the checkout gets no build/ folder)."""
    src = tmp / "src"
    shutil.copytree(ROOT / "yolo_training", src / "yolo_training", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(tmp / "dist"), str(src)],
                   check=True, capture_output=True, text=True, timeout=300)
    (wheel,) = (tmp / "dist").glob("yolo_training-*.whl")
    return wheel


@pytest.mark.slow
def test_the_wheel_installs_into_a_fresh_venv_as_the_hosted_cell_does(tmp_path):
    """``%pip install <the course's address>`` on a runtime whose torch and Ultralytics are already there.

    The fresh venv finds those (this project's) through a ``.pth`` file, as a hosted runtime has them
    in its system site-packages, and pip installs the wheel alone (``--no-deps``, no index): the test
    needs no network and no 3 GB of PyTorch, and the package that runs is the wheel's, not the checkout.
    """
    wheel = _wheel(tmp_path)
    fresh = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=True).create(fresh)
    python = fresh / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    import sysconfig

    (site / "preinstalled.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")  # after the wheel's own files
    result = run_hosted(tmp_path, COLAB, "drive", "chapter", python=str(python))
    assert Path(result["file"]).is_relative_to(site), result["file"]  # the wheel's package, not the checkout
    drive = (tmp_path / "drive" / "MyDrive" / "yolo-training").resolve()
    assert [s["root"] for s in result["seen"]] == [str(drive)] * 2  # a pip-installed package on Colab: Drive
    assert (site / "yolo_training" / "classroom" / "templates" / "install.sh").is_file()  # package data in the wheel
    cli = subprocess.run([str(fresh / "bin" / "yolo-training"), "--help"], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path / "content", env={**os.environ, "YOLO_CONFIG_DIR": str(tmp_path / "content" / ".config")})
    assert cli.returncode == 0 and "explore" in cli.stdout, cli.stdout + cli.stderr


def test_a_run_of_an_earlier_hosted_runtime_counts_as_stopped(monkeypatch, tmp_path):
    """After a disconnect the run's record names the old runtime's host: on Colab that host is gone."""
    from yolo_training.training import runs

    record = {"status": "training", "pid": 12345, "host": "old-runtime-host"}
    assert runs.effective_status(record) == "training"  # a classmate's machine on a shared folder: may still train
    for name, value in COLAB.items():
        monkeypatch.setenv(name, value)
    assert runs.effective_status(record) == "stopped"
