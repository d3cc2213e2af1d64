"""The whole GPU path, checked in a few minutes on a machine with a CUDA GPU; one table, and a non-zero exit on a failure.

Steps, each on a generated sample in a temporary folder (nothing else needed, no network):

1. device: ``device="auto"`` picks the GPU (and on Colab or Kaggle, ``yt.hosted()``'s line);
2. train: a yolov8n with AMP and a time budget (``--minutes``, default 1): AMP is on in the trainer,
   the run ends at its budget, not at its epochs;
3. validate: ``yt.validate`` on that run, on the GPU;
4. ddp: with two GPUs or more, ``yt.train(device=[0, 1])`` (Ultralytics' DDP workers, the callbacks sent to
   them with cloudpickle; one row per epoch in ``results.csv``); with one GPU, ``device=[0]`` through the
   same DDP launcher (``torch.distributed.run``, the package's trainer and a callback pickled into a worker);
5. resume: a 3-epoch run stopped in its second epoch, then ``yt.resume``: epochs 1, 2, 3 once each;
6. predict: ``yt.predict`` with the trained model, on the GPU;
7. readiness: the workshop's readiness line (``yt.readiness``).

Without a CUDA GPU it says so and exits 0. Run: ``python benchmarks/gpu_check.py`` (``--keep DIR`` keeps
the runs). Needs the ``multigpu`` extra for the DDP step (``pip install "yolo-training[multigpu]"``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

#: The trainings' image size and batch: small enough for a few minutes, big enough to keep a GPU busy.
IMGSZ, BATCH = 320, 16
ROWS: list[tuple[str, str, str, float]] = []


def step(name: str):
    """Run one check: it returns what it saw (a string) or (status, text); an exception is a FAIL."""

    def wrap(function):
        def run(*args, **kwargs):
            start = time.perf_counter()
            try:
                result = function(*args, **kwargs)
                status, seen = result if isinstance(result, tuple) else ("ok", result)
            except Exception as err:  # every failure goes into the table
                status, seen = "FAIL", f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"
                traceback.print_exc()
            ROWS.append((name, status, seen, time.perf_counter() - start))
            print(f"[{name}] {status}: {seen}", flush=True)
            return status

        return run

    return wrap


def _cuda_peak(function):
    """Run ``function``; return its result and the CUDA memory it used at most (bytes), so we know it ran on the GPU."""
    import torch

    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    result = function()
    torch.cuda.synchronize()
    return result, torch.cuda.max_memory_allocated()


@step("device")
def check_device():
    import yolo_training as yt
    from yolo_training.core.runtime import gpu_names

    device = yt.pick_device("auto")
    if device != "0":
        raise AssertionError(f"device='auto' picked {device!r} on a machine with CUDA GPUs {gpu_names()}")
    info = yt.hosted()
    where = f"; {info.line}" if info.runtime else ""
    return f"auto -> {device}; GPUs: {', '.join(gpu_names())}{where}"


@step("train")
def check_train(config: Path, project: Path, minutes: float, state: dict):
    import yolo_training as yt

    seen = {}

    def on_train_start(trainer):
        seen.update(amp=bool(trainer.amp), device=str(trainer.device))

    start = time.perf_counter()
    run = yt.train(config, model="yolov8n", imgsz=IMGSZ, batch=BATCH, epochs=1000, time=minutes / 60, amp=True, project=project,
                   name="gpu-amp", verbose=False, plots=False, callbacks={"on_train_start": on_train_start})
    wall = time.perf_counter() - start
    state["run"] = run
    epochs = len(yt.load_results(run))
    if not seen.get("device", "").startswith("cuda"):
        raise AssertionError(f"the trainer ran on {seen.get('device')}, not a GPU")
    if not (0 < epochs < 1000) or not run.best.is_file():
        raise AssertionError(f"{epochs} epochs, best.pt {'there' if run.best.is_file() else 'missing'}: the time budget did not end the run")
    text = f"{epochs} epochs in {wall:.0f} s (budget {minutes * 60:.0f} s) on {seen['device']}, mAP50 {run.metrics.get('mAP50', float('nan')):.3f}"
    if not seen["amp"]:
        return "note", text + "; AMP off: Ultralytics' AMP check disabled it on this GPU (see the run's train.log)"
    return text + ", AMP on"


@step("validate")
def check_validate(state: dict):
    import yolo_training as yt

    if "run" not in state:
        return "skipped", "no trained run (the train step failed)"
    table, peak = _cuda_peak(lambda: yt.validate(state["run"]))
    if peak == 0:
        raise AssertionError("validation allocated no CUDA memory: it did not run on the GPU")
    return f"{len(table)} rows, {peak / 2**20:.0f} MiB of GPU memory at most"


@step("ddp")
def check_ddp(config: Path, project: Path, gpus: int):
    import yolo_training as yt

    try:
        import cloudpickle
    except ImportError:
        raise AssertionError('cloudpickle is not installed: pip install "yolo-training[multigpu]"') from None
    if gpus >= 2:
        run = yt.train(config, model="yolov8n", imgsz=IMGSZ, batch=BATCH, epochs=2, device=[0, 1], project=project, name="gpu-ddp",
                       verbose=False, plots=False)
        epochs = list(yt.load_results(run)["epoch"])
        if epochs != [1, 2] or not run.best.is_file():
            raise AssertionError(f"results.csv epochs {epochs}, best.pt {'there' if run.best.is_file() else 'missing'}")
        return f"device=[0, 1]: 2 epochs on 2 GPUs, best.pt written (cloudpickle {cloudpickle.__version__})"
    return _ddp_launcher_one_gpu(config, project, cloudpickle.__version__)


def _ddp_launcher_one_gpu(config: Path, project: Path, version: str) -> str:
    """``device=[0]`` through Ultralytics' DDP launcher: the package's trainer and a callback pickled into a worker."""
    from ultralytics import YOLO

    from yolo_training.data.config import prepare_data
    from yolo_training.training.extensions import trainer_for

    class OneGpuThroughTheLauncher(trainer_for("detect")):
        """The course's detection trainer, launching its one-GPU training as Ultralytics launches DDP workers."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if os.environ.get("LOCAL_RANK") is None and self.world_size == 1:  # the launching process only
                self.ddp = True  # Ultralytics then runs torch.distributed.run --nproc_per_node 1 with this trainer

    marker = project / "ddp-worker-epochs.txt"

    def in_the_worker(trainer):  # sent to the worker with cloudpickle, as the package's callbacks are
        with open(marker, "a", encoding="utf-8") as f:
            f.write(f"{trainer.epoch + 1} pid {os.getpid()}\n")

    yolo = YOLO("yolov8n.yaml", task="detect")
    yolo.add_callback("on_fit_epoch_end", in_the_worker)
    yolo.train(trainer=OneGpuThroughTheLauncher, data=prepare_data(config, "detect"), imgsz=IMGSZ, batch=BATCH, epochs=2, device=[0],
               project=str(project), name="gpu-ddp-launcher", exist_ok=True, plots=False, verbose=False)
    lines = marker.read_text(encoding="utf-8").splitlines() if marker.is_file() else []
    epochs, pids = {line.split()[0] for line in lines}, {line.split("pid ")[1] for line in lines}
    if not {"1", "2"} <= epochs or str(os.getpid()) in pids:  # (the final validation of best.pt calls it once more)
        raise AssertionError(f"the worker's callback saw {lines} (this process is {os.getpid()}): the training did not run in a DDP worker")
    return f"one GPU: device=[0] through torch.distributed.run, 2 epochs in worker {', '.join(pids)} (cloudpickle {version})"


@step("resume")
def check_resume(config: Path, project: Path):
    import yolo_training as yt

    stop = threading.Event()

    def stop_in_second_epoch(trainer):
        if trainer.epoch == 1:
            stop.set()

    run = yt.train(config, model="yolov8n", imgsz=IMGSZ, batch=BATCH, epochs=3, project=project, name="gpu-resume", verbose=False,
                   plots=False, stop=stop, callbacks={"on_train_epoch_start": stop_in_second_epoch})
    stopped = list(yt.load_results(run)["epoch"])
    if run.status != "stopped":
        raise AssertionError(f"the stopped run's status is {run.status!r}, epochs {stopped}")
    run = yt.resume(run, verbose=False)
    epochs = list(yt.load_results(run)["epoch"])
    if epochs != [1, 2, 3]:
        raise AssertionError(f"results.csv epochs after resume: {epochs} (stopped at {stopped})")
    return f"stopped after epochs {stopped}, resumed: epochs {epochs}, status {run.status}"


@step("predict")
def check_predict(state: dict, images: Path):
    import yolo_training as yt

    if "run" not in state:
        return "skipped", "no trained run (the train step failed)"
    pictures = sorted(images.glob("*.jpg"))[:8]
    prediction, peak = _cuda_peak(lambda: yt.predict(state["run"], [str(p) for p in pictures], show=False))
    if peak == 0:
        raise AssertionError("prediction allocated no CUDA memory: it did not run on the GPU")
    return f"{len(pictures)} images, {len(prediction.detections)} boxes in {prediction.seconds:.2f} s"


@step("readiness")
def check_readiness():
    import yolo_training as yt

    facts, line = yt.readiness(probe_seconds=2)
    return line


def print_table() -> None:
    width = max(len(seen) for *_, seen, _ in [(0, 0, "what was seen", 0), *ROWS])
    print(f"\n{'step':10s} {'status':8s} {'seconds':>8s}  what was seen")
    print(f"{'-' * 10} {'-' * 8} {'-' * 8}  {'-' * min(width, 100)}")
    for name, status, seen, seconds in ROWS:
        print(f"{name:10s} {status:8s} {seconds:8.1f}  {seen}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=1.0, help="the AMP training's time budget")
    p.add_argument("--images", type=int, default=120, help="images in the generated sample")
    p.add_argument("--keep", type=Path, default=None, help="keep the sample and the runs in this folder (a new one)")
    a = p.parse_args()
    os.environ.pop("YOLO_TRAINING_PROFILE", None)  # the check chooses its own sizes
    import torch

    if not torch.cuda.is_available():
        print(f"No CUDA GPU on this machine (torch {torch.__version__}, CUDA build {torch.version.cuda}): nothing to check. "
              "Run this on a machine with an NVIDIA GPU (a Colab or Kaggle GPU runtime will do).")
        return 0
    import yolo_training as yt

    folder = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="gpu-check-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        export = yt.generate_sample(folder / "export", n_images=a.images, seed=5)
        config = yt.split_dataset(export, folder / "split", config=folder / "split" / "config.yaml", overwrite=True).config
        project, state = folder / "runs", {}
        check_device()
        check_train(config, project, a.minutes, state)
        check_validate(state)
        check_ddp(config, project, torch.cuda.device_count())
        check_resume(config, project)
        check_predict(state, export / "images")
        check_readiness()
    finally:
        if not a.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print_table()
    failed = [name for name, status, *_ in ROWS if status == "FAIL"]
    print(f"\n{'FAILED: ' + ', '.join(failed) if failed else 'The GPU path works.'} (runs in {folder if a.keep else 'a removed temporary folder'})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
