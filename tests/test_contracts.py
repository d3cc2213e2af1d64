"""Contracts with the pinned Ultralytics: every assumption the package makes about it, checked.

The package extends Ultralytics only through trainer and validator subclasses, callbacks, its
logger and one module constant (the thread count). When an Ultralytics release changes one of
those, a test here fails and says which, instead of a student's run misbehaving quietly.
"""

from __future__ import annotations

import inspect

import pytest
import torch

import yolo_training as yt
from yolo_training.core import devices
from yolo_training.training import extensions
def test_select_device_reads_the_thread_constant():
    from ultralytics.utils import torch_utils

    assert hasattr(torch_utils, "NUM_THREADS"), "ultralytics.utils.torch_utils.NUM_THREADS is gone: devices.use_all_cores no longer works"
    before = torch.get_num_threads()
    try:
        torch_utils.NUM_THREADS = 1
        torch_utils.select_device("cpu", verbose=False)
        assert torch.get_num_threads() == 1
        n = devices.use_all_cores()
        torch_utils.select_device("cpu", verbose=False)
        assert torch.get_num_threads() == n, "select_device no longer sets torch's threads from NUM_THREADS"
    finally:
        devices.use_all_cores()
        torch.set_num_threads(max(before, torch.get_num_threads()))


@pytest.mark.parametrize("task", ["detect", "segment", "classify"])
def test_our_trainers_and_validators_extend_the_task_map(task):
    from ultralytics import YOLO

    suffix = {"detect": "", "segment": "-seg", "classify": "-cls"}[task]
    task_map = YOLO(f"yolov8n{suffix}.yaml", task=task).task_map[task]
    assert issubclass(extensions.trainer_for(task), task_map["trainer"])
    if extensions.validator_for(task) is not None:
        assert issubclass(extensions.validator_for(task), task_map["validator"])


def test_model_train_and_val_take_our_classes():
    from ultralytics.engine.model import Model

    assert "trainer" in inspect.signature(Model.train).parameters
    assert "validator" in inspect.signature(Model.val).parameters


def test_trainer_validate_and_fitness_as_we_extend_them():
    from ultralytics.engine.trainer import BaseTrainer

    source = inspect.getsource(BaseTrainer)
    # validate() returns (metrics, fitness) and keeps best_fitness; save_model() writes best.pt when they are equal
    assert "def validate(self)" in source and "return metrics, fitness" in source
    assert "self.best_fitness < fitness" in source and "if self.best_fitness == self.fitness:" in source
    # the loop checks trainer.stop after every batch, and calls on_model_save after saving
    loop = inspect.getsource(BaseTrainer._do_train)
    assert "if self.stop:" in loop and "if self.args.val or final_epoch or self.stopper.possible_stop or self.stop:" in loop
    assert 'self.run_callbacks("on_model_save")' in source


def test_callback_events_we_use_exist():
    from ultralytics.utils.callbacks.base import default_callbacks

    used = {"on_pretrain_routine_start", "on_train_start", "on_train_epoch_start", "on_train_batch_end",
            "on_train_epoch_end", "on_fit_epoch_end", "on_model_save", "on_train_end", "on_val_end"}
    assert used <= set(default_callbacks)


def test_confusion_matrix_takes_a_confidence_and_validators_make_one_in_init_metrics():
    from ultralytics.models.yolo.detect.val import DetectionValidator
    from ultralytics.utils.metrics import ConfusionMatrix

    assert "conf" in inspect.signature(ConfusionMatrix.process_batch).parameters
    assert "self.confusion_matrix = ConfusionMatrix(" in inspect.getsource(DetectionValidator.init_metrics)
    matrix = extensions.ConfusionAtConf(names={0: "a"}, task="detect")
    assert matrix.matrix.shape == (2, 2)


def test_progress_bars_and_log_are_where_capture_output_expects_them():
    import logging

    from ultralytics.utils import LOGGER
    from ultralytics.utils.tqdm import TQDM

    assert isinstance(LOGGER, logging.Logger) and LOGGER.name == "ultralytics"
    assert TQDM.__module__.startswith("ultralytics"), "progress bars no longer drawn by Ultralytics' own module"
    assert "self.file.write" in inspect.getsource(TQDM)


def test_checkpoints_carry_what_resume_reads():
    from ultralytics.engine.trainer import BaseTrainer

    source = inspect.getsource(BaseTrainer.save_model)
    for key in ('"epoch"', '"optimizer"', '"train_args"', '"best_fitness"'):
        assert key in source, f"checkpoints no longer store {key}"


def test_a_real_run_records_the_epoch_of_best_pt(tiny_run):
    from ultralytics.utils.patches import torch_load

    record = yt.Run.from_dir(tiny_run.dir).record
    assert record["best_epoch"] == 1 and yt.Run.from_dir(tiny_run.dir).best_epoch == 1
    assert torch_load(tiny_run.best, map_location="cpu")["train_args"]["epochs"] == 1


def test_the_multigpu_extra_asks_for_what_ultralytics_checks_when_it_starts_ddp():
    """Ultralytics checks cloudpickle's version before it launches DDP workers; with auto-install off (and
    no network) a lower version fails the first multi-GPU training. The extra must ask for the same."""
    import re
    import tomllib
    from pathlib import Path

    from ultralytics.utils import dist

    checks = re.findall(r"check_requirements\(\s*[\"'](cloudpickle[^\"']*)[\"']", inspect.getsource(dist.generate_ddp_file))
    assert checks == ["cloudpickle>=3.1.1"], (
        f"ultralytics.utils.dist.generate_ddp_file now checks {checks}: update the multigpu extra in pyproject.toml to match"
    )
    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["optional-dependencies"]["multigpu"] == checks


def test_hosted_runtimes_are_recognised_when_asked(monkeypatch):
    """yt.hosted() calls Ultralytics' is_colab()/is_kaggle(): they must read the environment at each call."""
    from ultralytics.utils import is_colab, is_kaggle

    for name in ("COLAB_RELEASE_TAG", "COLAB_BACKEND_VERSION", "KAGGLE_URL_BASE"):
        monkeypatch.delenv(name, raising=False)
    assert not is_colab() and not is_kaggle()
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab")
    assert is_colab()
    monkeypatch.setenv("PWD", "/kaggle/working")
    monkeypatch.setenv("KAGGLE_URL_BASE", "https://www.kaggle.com")
    assert is_kaggle()


def test_ultralytics_pairs_images_and_labels_as_the_package_checks():
    """settings._holds_an_object asks Ultralytics' own img2label_paths where an image's labels are."""
    from ultralytics.data.utils import img2label_paths

    assert img2label_paths(["/d/images/train/a.jpg"]) == ["/d/labels/train/a.txt"]
