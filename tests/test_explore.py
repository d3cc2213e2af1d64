"""Hyperparameter search: real tiny trainings in an Optuna study, pruning, resume, shared workers.

Every trial is a from-scratch yolov8n at 64 px for 1-2 epochs (YOLO_TRAINING_PROFILE=fast) on a
20-image generated sample; study databases and runs live under the test's temporary folders.
"""

from __future__ import annotations

import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

optuna = pytest.importorskip("optuna")

import yolo_training as yt  # noqa: E402
from yolo_training.core.errors import YoloTrainingError  # noqa: E402

from yolo_training.search import study as ex  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: A small space: real dimensions, every value cheap under the fast profile.
SPACE = {
    "optimizer": "SGD",
    "lr0": (1e-3, 1e-1, "log"),
    "momentum": (0.7, 0.95),
    "fliplr": (0.0, 1.0),
    "epochs": 1,
    "workers": 0,  # no data-loading processes: a tiny trial spends less time starting them than loading
}
SPACE_FILE = {
    "optimizer": "SGD", "lr0": {"low": 0.001, "high": 0.1, "log": True}, "momentum": {"low": 0.7, "high": 0.95}, "epochs": 1, "workers": 0,
}
COMPLETE, PRUNED, FAIL = optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread per training: tiny trials gain nothing from two, and on a busy CI machine
    two threads per process oversubscribe the cores (measured: a 3-trial study 56 s -> 460 s)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("YOLO_TRAINING_THREADS", "1")
        yield


@pytest.fixture(scope="module")
def sample_config(tmp_path_factory) -> Path:
    """A 20-image sample split 80/20 with its config.yaml."""
    root = tmp_path_factory.mktemp("explore_sample")
    export = yt.generate_sample(root / "export", n_images=20, seed=3)
    return yt.split_dataset(export, root / "split", config=root / "split" / "config.yaml").config


@pytest.fixture(scope="module")
def search(sample_config, tmp_path_factory):
    """One 3-trial study, shared by the tests that read a finished search."""
    folder = tmp_path_factory.mktemp("search")
    start = time.perf_counter()
    study = yt.explore(sample_config, trials=3, space=SPACE, study="e2e", storage=folder / "study.db", project=folder / "runs", seed=11)
    return study, folder, time.perf_counter() - start


def _sqlite(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


def test_search_runs_end_to_end(search):
    study, folder, _ = search
    trials = study.get_trials()
    assert [t.state for t in trials] == [COMPLETE] * 3
    assert len({t.params["lr0"] for t in trials}) == 3  # three different settings were tried
    table = yt.study_results("e2e", folder / "study.db")
    assert list(table["trial"]) == [0, 1, 2] and set(table["state"]) == {"complete"}
    assert table["mAP50-95"].notna().all() and table["epochs_reported"].eq(1).all()
    for t in trials:
        run = Path(t.user_attrs["run_dir"])
        assert run.parent == folder / "runs" and (run / "weights" / "best.pt").is_file()
        # The sampled values reached Ultralytics: its own record of the arguments holds them.
        args = yaml.safe_load((run / "args.yaml").read_text())
        assert args["lr0"] == pytest.approx(t.params["lr0"]) and args["momentum"] == pytest.approx(t.params["momentum"])
        assert args["optimizer"] == "SGD" and args["epochs"] == 1 and args["imgsz"] == 64
        info = yaml.safe_load((run / ex.TRIAL_FILE).read_text())
        assert info["state"] == "complete" and info["trial"] == t.number and info["value"] == pytest.approx(t.value)
        assert yt.Run.from_dir(run).metrics["mAP50-95"] == pytest.approx(t.value, abs=1e-5)
    best = yt.best_trial(study)
    assert best.value == max(t.value for t in trials) and best.weights.is_file()
    assert best.settings["lr0"] == study.best_trial.params["lr0"] and best.settings["model"] == "yolov8n"
    figures = yt.plot_study(study, kinds=("history", "parallel", "slice"), save_dir=folder / "plots")
    assert set(figures) == {"history", "parallel", "slice"}
    assert len(list((folder / "plots").glob("e2e-*.png"))) == 3


def test_same_seed_reproduces_the_search(search, sample_config, tmp_path):
    first, _, _ = search
    again = yt.explore(sample_config, trials=2, space=SPACE, study="e2e", storage=tmp_path / "again.db", project=tmp_path / "runs", seed=11)
    for a, b in zip(first.get_trials()[:2], again.get_trials()):
        assert a.params == b.params
        # Ultralytics trains deterministically on the CPU with the same seed: same numbers.
        assert a.value == pytest.approx(b.value, abs=1e-6)
        assert a.intermediate_values == pytest.approx(b.intermediate_values, abs=1e-6)


def test_bad_input_fails_before_training(search, sample_config, tmp_path, monkeypatch):
    study, folder, _ = search

    def no_training(*args, **kwargs):
        raise AssertionError("training started despite bad input")

    monkeypatch.setattr(ex, "train", no_training)
    cases = {
        "empty": dict(space={}),
        "impossible": dict(space={"lr0": (0.1, 0.001)}),
        "no choice": dict(space={"imgsz": []}),
        "not a multiple of 32": dict(space={"imgsz": [50, 64]}),
        "beyond budget": dict(space={"lr0": [0.01, 0.02], "epochs": (3, 5)}, budget_per_trial=2),
        "unknown argument": dict(space={"learning_rate": (0.001, 0.1)}),
        "unknown metric": dict(metric="accuracy"),
    }
    for label, kwargs in cases.items():
        with pytest.raises(YoloTrainingError) as err:
            yt.explore(sample_config, trials=2, study=label, storage=tmp_path / "bad.db", project=tmp_path, **kwargs)
        assert str(err.value), label
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    with pytest.raises(YoloTrainingError, match=r"Cannot open the study storage .*127\.0\.0\.1.*running"):
        yt.explore(sample_config, trials=2, space=SPACE, storage=f"postgresql://student:secret@127.0.0.1:{port}/studies")
    # The e2e study exists: continuing it with another space or metric would mix incomparable trials.
    with pytest.raises(YoloTrainingError, match="exists with a different search space.*if_exists='new'.*if_exists='replace'"):
        yt.explore(sample_config, trials=5, space={**SPACE, "lr0": (1e-4, 1e-1, "log")}, study="e2e", storage=folder / "study.db")
    with pytest.raises(YoloTrainingError, match="if_exists='again' is not one of"):
        yt.explore(sample_config, trials=5, space=SPACE, study="e2e", storage=folder / "study.db", if_exists="again")
    with pytest.raises(YoloTrainingError, match="exists with a different metric"):
        yt.explore(sample_config, trials=5, space=SPACE, metric="mAP50", study="e2e", storage=folder / "study.db")
    assert len(optuna.load_study(study_name="e2e", storage=_sqlite(folder / "study.db")).trials) == 3
    with pytest.raises(YoloTrainingError, match="no study 'nope'"):
        yt.study_results("nope", folder / "study.db")


def test_another_space_goes_to_a_new_study_or_replaces_the_old_one(sample_config, tmp_path, capsys):
    """A student runs chapter 6 again with other settings: never mixed into one study, and one argument goes on."""
    db, runs = tmp_path / "course.db", tmp_path / "runs"
    other = {**SPACE, "lr0": (1e-4, 1e-2, "log")}
    first = yt.explore(sample_config, trials=1, space=SPACE, study="course", storage=db, project=runs, seed=1)
    (old_run,) = [Path(t.user_attrs["run_dir"]) for t in first.trials]
    assert first.study_name == "course"

    second = yt.explore(sample_config, trials=1, space=other, study="course", storage=db, project=runs, seed=1, if_exists="new")
    assert second.study_name == "course-2" and len(second.trials) == 1
    assert "this search is study 'course-2'" in capsys.readouterr().out
    assert len(optuna.load_study(study_name="course", storage=_sqlite(db)).trials) == 1  # untouched
    # again with the same other space: it goes on in course-2 (nothing left to do), not course-3
    again = yt.explore(sample_config, trials=1, space=other, study="course", storage=db, project=runs, if_exists="new")
    assert again.study_name == "course-2" and len(again.trials) == 1
    (kept_run,) = [Path(t.user_attrs["run_dir"]) for t in again.trials]

    replaced = yt.explore(sample_config, trials=1, space=other, study="course", storage=db, project=runs, seed=1, if_exists="replace")
    assert replaced.study_name == "course" and len(replaced.trials) == 1
    new_run = Path(replaced.trials[0].user_attrs["run_dir"])
    # the replaced study's run was deleted, so the new trial 0 has its folder name again (else trial-0003)
    assert new_run == old_run and yaml.safe_load((new_run / ex.TRIAL_FILE).read_text())["settings"]["lr0"] <= 1e-2
    assert sorted(p.name for p in runs.iterdir()) == sorted([old_run.name, kept_run.name])
    assert (kept_run / "weights" / "best.pt").is_file()  # another study's run in the same folder is kept
    assert yt.study_results("course-2", db)["trial"].tolist() == [0]


def test_bad_trial_is_pruned_and_failed_trial_recorded(sample_config, tmp_path, monkeypatch):
    """Trial 0 is sound, trial 1 crashes, trial 2 has a learning rate 100x too high and is pruned after epoch 1."""
    real_train, calls = ex.train, []

    def crash_once(*args, **kwargs):
        calls.append(kwargs["lr0"])
        if len(calls) == 2:
            raise RuntimeError("simulated crash in the middle of a trial")
        return real_train(*args, **kwargs)

    monkeypatch.setattr(ex, "train", crash_once)
    space = {"optimizer": "SGD", "nbs": 8, "warmup_epochs": 0.0, "epochs": 2, "workers": 0, "lr0": [0.01, 0.02, 1.0]}
    study = yt.explore(
        sample_config, trials=3, space=space, metric="val/cls_loss", study="prune", storage=tmp_path / "p.db",
        project=tmp_path / "runs", pruner=optuna.pruners.MedianPruner(n_startup_trials=1), enqueue=[{"lr0": 0.01}, {"lr0": 0.02}, {"lr0": 1.0}],
    )
    good, crashed, bad = study.get_trials()
    assert (good.state, crashed.state, bad.state) == (COMPLETE, FAIL, PRUNED)
    assert "simulated crash" in crashed.user_attrs["reason"]
    assert len(good.intermediate_values) == 2 and len(bad.intermediate_values) == 1
    assert bad.intermediate_values[1] > 100 * good.intermediate_values[1]
    assert bad.user_attrs["reason"].startswith("pruned after epoch 1")
    # The pruned run's folder is consistent: one epoch recorded, weights without optimizer state (not resumable).
    run = Path(bad.user_attrs["run_dir"])
    assert len((run / "results.csv").read_text().strip().splitlines()) == 2
    import torch

    ckpt = torch.load(run / "weights" / "last.pt", weights_only=False)
    assert ckpt.get("optimizer") is None and ckpt["epoch"] == -1
    assert yaml.safe_load((run / ex.TRIAL_FILE).read_text())["state"] == "pruned"
    assert study.best_trial.number == 0


def _explore_command(config, storage, study, trials, project, seed=5):
    return [
        sys.executable, "-m", "yolo_training", "explore", "--config", str(config), "--study", study, "--storage", storage,
        "--trials", str(trials), "--space", str(project.parent / "space.yaml"), "--project", str(project), "--seed", str(seed),
    ]


def _write_space(folder: Path) -> None:
    (folder / "space.yaml").write_text(yaml.safe_dump(SPACE_FILE), encoding="utf-8")


def test_killed_study_resumes_without_losing_trials(sample_config, tmp_path):
    """A first trial finishes; a worker process is killed during the second; running again continues."""
    _write_space(tmp_path)
    url = _sqlite(tmp_path / "resume.db")
    space = yt.read_space(tmp_path / "space.yaml")
    finished = yt.explore(sample_config, trials=1, space=space, study="resume", storage=url, project=tmp_path / "runs", seed=5).trials[0]
    proc = subprocess.Popen(_explore_command(sample_config, url, "resume", 2, tmp_path / "runs"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            trials = optuna.load_study(study_name="resume", storage=url).get_trials()
            if [t.state.name for t in trials] == ["COMPLETE", "RUNNING"] and "settings" in trials[1].user_attrs:
                break
            assert proc.poll() is None, "the worker ended before it could be killed"
            time.sleep(0.3)
        else:
            pytest.fail("the worker never started its trial")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    study = yt.explore(sample_config, trials=2, space=space, study="resume", storage=url, project=tmp_path / "runs", seed=5)
    first, killed, retried = study.get_trials()
    assert (first.state, first.value, first.datetime_complete) == (COMPLETE, finished.value, finished.datetime_complete)
    assert Path(first.user_attrs["run_dir"], "weights", "best.pt").is_file()
    assert killed.state == FAIL and killed.user_attrs["reason"].startswith("interrupted") and killed.user_attrs["pid"] == proc.pid
    assert retried.state == COMPLETE and retried.params == killed.params and retried.user_attrs["retry_of"] == 1
    assert retried.user_attrs["pid"] == os.getpid()
    # Running it once more has nothing left to do.
    assert len(yt.explore(sample_config, trials=2, space=space, study="resume", storage=url, project=tmp_path / "runs").trials) == 3


def _two_workers(config, url: str, folder: Path, trials: int = 3):
    """Start two `yolo-training explore` workers on one study (one thread each) and check they shared it."""
    _write_space(folder)
    env = {**os.environ, "YOLO_TRAINING_THREADS": "1"}
    procs = [
        subprocess.Popen(_explore_command(config, url, "shared", trials, folder / f"runs{i}"), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=400)[0] for p in procs]
    for p, out in zip(procs, outputs):
        assert p.returncode == 0, out[-3000:]
    trials_done = optuna.load_study(study_name="shared", storage=ex.open_storage(url)).get_trials()
    assert [t.state for t in trials_done] == [COMPLETE] * trials, [t.state for t in trials_done]
    assert {t.user_attrs["pid"] for t in trials_done} == {p.pid for p in procs}  # both workers trained
    assert len({t.user_attrs["run_dir"] for t in trials_done}) == trials  # each trial trained once, by one worker
    assert len({tuple(sorted(t.params.items())) for t in trials_done}) == trials  # no setting tried twice
    for t in trials_done:
        assert Path(t.user_attrs["run_dir"], "weights", "best.pt").is_file()
    assert "Best trial" in outputs[0] and "Best trial" in outputs[1]
    return trials_done, outputs


def test_two_workers_share_a_sqlite_study(sample_config, tmp_path):
    _two_workers(sample_config, _sqlite(tmp_path / "shared.db"), tmp_path, trials=2)


def test_two_workers_share_a_journal_file_without_a_server(sample_config, tmp_path):
    """A class's shared folder, no database: two processes append their trials to one journal file."""
    journal = tmp_path / "shared folder" / "class.journal"
    trials_done, outputs = _two_workers(sample_config, str(journal), tmp_path, trials=3)
    assert journal.is_file() and isinstance(ex.open_storage(journal), optuna.storages.JournalStorage)
    # Each trial was trained once: its "trial N:" line is in exactly one worker's output, and every
    # trial folder the workers made is a trial of the study (none trained and lost from it).
    lines = [int(m) for out in outputs for m in re.findall(r"^trial (\d+): mAP50-95", out, re.M)]
    assert sorted(lines) == [t.number for t in trials_done]
    folders = sorted(str(p.resolve()) for i in range(2) for p in (tmp_path / f"runs{i}").glob("trial-*"))
    assert folders == sorted(t.user_attrs["run_dir"] for t in trials_done)
    assert "journal file" in outputs[0] and str(journal) in outputs[0]
    assert yt.study_results("shared", journal)["state"].eq("complete").all()


def test_two_workers_share_a_postgresql_study(sample_config, tmp_path, postgres_url):
    _two_workers(sample_config, postgres_url, tmp_path)
    assert math.isfinite(yt.best_trial("shared", postgres_url).value)
