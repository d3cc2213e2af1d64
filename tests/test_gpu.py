"""The GPU path: tests marked ``gpu`` run where a CUDA GPU is, and are skipped with the reason elsewhere (conftest.py).

``benchmarks/gpu_check.py`` checks the whole path (device, AMP with a time budget, validation, DDP,
resume, prediction, readiness) in a few minutes; on a machine without a GPU it says so and exits 0.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

import yolo_training as yt

ROOT = Path(__file__).resolve().parent.parent
GPU_CHECK = ROOT / "benchmarks" / "gpu_check.py"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: test_the_gpu_check_passes runs the check")
def test_the_gpu_check_says_there_is_no_gpu_and_exits_0():
    proc = subprocess.run([sys.executable, str(GPU_CHECK)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("No CUDA GPU on this machine") and "nothing to check" in proc.stdout


@pytest.mark.gpu
@pytest.mark.slow
def test_the_gpu_check_passes(tmp_path):
    proc = subprocess.run([sys.executable, str(GPU_CHECK), "--keep", str(tmp_path / "check")], capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    assert "The GPU path works." in proc.stdout


@pytest.mark.gpu
def test_auto_picks_the_gpu_and_trains_there_with_amp(tiny_split, tmp_path):
    seen = {}

    def on_train_start(trainer):
        seen.update(device=str(trainer.device), amp=bool(trainer.amp))

    assert yt.pick_device("auto") == "0"
    run = yt.train(tiny_split, model="yolov8n", epochs=1, imgsz=64, batch=8, project=tmp_path, name="gpu", verbose=False,
                   amp=True, callbacks={"on_train_start": on_train_start})
    assert seen["device"].startswith("cuda") and run.best.is_file()
    assert seen["amp"] or "AMP" in (run.dir / "train.log").read_text(encoding="utf-8")  # on, or Ultralytics said why not
