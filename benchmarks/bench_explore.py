"""What does a hyperparameter search cost beyond its trainings, and do two workers finish sooner?

1. Bookkeeping overhead: one study of ``--trials`` trials in this process; the study's wall time
   minus the sum of the trials' training times (``yolo_training.train`` calls), as a share of
   the trainings. Target: under 2 %.
2. Workers: the same number of trials on a fresh study, first by one ``yolo-training explore``
   process, then by two sharing the study; each process uses one thread
   (``YOLO_TRAINING_THREADS=1``) so that two workers fit on two cores. The study is a journal file
   (``--storage journal``, the default: a class's shared folder with no server) or a SQLite file
   (``--storage sqlite``). Prints the ratio of wall times (below 1: two workers are faster) and
   checks that the two workers trained every trial once.

Trains from scratch on a generated sample in a temporary folder, so it needs nothing else.
Run: ``python benchmarks/bench_explore.py`` (a few minutes on an idle 2-core CPU with the defaults;
on a busy machine the workers' ratio says little: a second worker only helps when a core is free).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def _space(imgsz: int, epochs: int) -> dict:
    # workers=0: images load in the training process, so a worker is one busy thread and no more.
    return {"optimizer": "SGD", "lr0": (1e-3, 1e-1, "log"), "momentum": (0.7, 0.95), "fliplr": (0.0, 1.0), "imgsz": imgsz, "epochs": epochs,
            "workers": 0}


def _space_file(imgsz: int, epochs: int) -> dict:
    return {
        "optimizer": "SGD", "lr0": {"low": 1e-3, "high": 1e-1, "log": True}, "momentum": {"low": 0.7, "high": 0.95},
        "fliplr": {"low": 0.0, "high": 1.0}, "imgsz": imgsz, "epochs": epochs, "workers": 0,
    }


def overhead(config: Path, folder: Path, trials: int, imgsz: int, epochs: int) -> None:
    import yolo_training as yt

    import optuna  # noqa: F401  (imported once per process, like torch: not a per-study cost)

    start = time.perf_counter()
    study = yt.explore(config, trials=trials, space=_space(imgsz, epochs), study="overhead", storage=folder / "overhead.db",
                       project=folder / "overhead-runs", pruner=None, seed=1)
    wall = time.perf_counter() - start
    trained = sum(t.user_attrs["train_seconds"] for t in study.trials)
    # Setup: checking the space and config, creating the database and the study, before trial 0 starts.
    setup = (study.trials[0].datetime_start.timestamp() - time.time()) + wall
    print(f"\n[overhead] {trials} trials of {epochs} epochs at {imgsz} px, {os.environ.get('YOLO_TRAINING_THREADS', 'all')} thread(s): "
          f"study {wall:.1f} s, trainings {trained:.1f} s, setup before the first trial {setup:.2f} s")
    print(f"[overhead] bookkeeping {wall - trained:.2f} s = {100 * (wall - trained) / trained:.2f} % of training time "
          f"({(wall - trained - setup) / trials:.2f} s per trial after setup; target < 2 %)", flush=True)


def workers(config: Path, folder: Path, trials: int, imgsz: int, epochs: int, kind: str = "journal") -> None:
    import yolo_training as yt

    (folder / "space.yaml").write_text(yaml.safe_dump(_space_file(imgsz, epochs)), encoding="utf-8")
    env = {**os.environ, "YOLO_TRAINING_THREADS": "1"}
    walls = {}
    for n in (1, 2):
        storage = str(folder / "shared" / f"workers{n}.journal") if kind == "journal" else f"sqlite:///{(folder / f'workers{n}.db').as_posix()}"
        cmd = [sys.executable, "-m", "yolo_training", "explore", "--config", str(config), "--study", f"w{n}", "--storage", storage,
               "--trials", str(trials), "--space", str(folder / "space.yaml"), "--pruner", "none", "--seed", "1"]
        start = time.perf_counter()
        procs = [subprocess.Popen([*cmd, "--project", str(folder / f"w{n}-{i}")], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for i in range(n)]
        for p in procs:
            out = p.communicate()[0]
            if p.returncode:
                raise RuntimeError(f"worker failed:\n{out[-3000:]}")
        walls[n] = time.perf_counter() - start
        table = yt.study_results(f"w{n}", storage)
        runs = {str(p.resolve()) for i in range(n) for p in (folder / f"w{n}-{i}").glob("trial-*")}
        once = sorted(runs) == sorted(table["run_dir"]) and table["state"].eq("complete").all()
        print(f"\n[workers] {kind}: {n} worker(s), 1 thread each: {len(table)} trials in {walls[n]:.1f} s"
              f" ({'each trained once' if once else 'TRIALS LOST OR REPEATED'})", flush=True)
    print(f"[workers] {kind}, {os.cpu_count()} cores; ratio 2 workers / 1 worker: {walls[2] / walls[1]:.2f}  (below 1 is faster)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trials", type=int, default=6, help="even, so two workers can split them")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--imgsz", type=int, default=96)
    p.add_argument("--images", type=int, default=60, help="images in the generated sample")
    p.add_argument("--only", choices=["overhead", "workers"], default=None)
    p.add_argument("--storage", choices=["journal", "sqlite"], default="journal", help="the workers' shared study")
    p.add_argument("--threads", default="1", help="torch threads of the overhead study (default 1: stable on a busy machine)")
    a = p.parse_args()
    os.environ.pop("YOLO_TRAINING_PROFILE", None)  # the benchmark chooses its own sizes
    os.environ["YOLO_TRAINING_THREADS"] = a.threads
    import yolo_training as yt

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        export = yt.generate_sample(folder / "export", n_images=a.images, seed=5)
        config = yt.split_dataset(export, folder / "split", config=folder / "split" / "config.yaml").config
        if a.only in (None, "overhead"):
            overhead(config, folder, a.trials, a.imgsz, a.epochs)
        if a.only in (None, "workers"):
            workers(config, folder, a.trials, a.imgsz, a.epochs, a.storage)


if __name__ == "__main__":
    main()
