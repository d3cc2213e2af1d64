"""Inference speed on the CPU: a loop of yolo_training.predict calls against a plain Ultralytics loop.

Predicts on the same images one by one (as a notebook loop, a webcam or a folder loop does) at
320 and 640 px:

* plain Ultralytics: ``yolo = YOLO(path)`` once, then ``yolo.predict(image)`` per image, with its
  own thread choice (min(8, cores - 1): one thread on a 2-core laptop);
* the package as a student writes it: ``yt.predict(path, image, show=False)`` per image, the model
  given by its path every time (the package keeps it loaded) and no annotated files written;
* the same with the ONNX export (needs ``pip install 'yolo-training[onnx]'``).

Each measurement runs in a fresh process and counts everything from loading the model to the last
image (no warm-up left out on either side). Printed: the time of the package's loop as a share of
the plain loop's (goal: 0.95x or less) and, for ONNX, its speed against the ``.pt``. The model is
``--model`` or, by default, a yolov8n trained for one epoch on a generated sample (the speed does
not depend on how well it learned). Run: ``python benchmarks/bench_predict.py``
(``--images 10 --sizes 320 --no-onnx`` for a quick check that it works).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import textwrap
from pathlib import Path

from _common import ROOT, median, run_script

_RUNNER = textwrap.dedent(
    '''
    import json, os, sys, time
    import yolo_training as yt
    kind, model, imgsz, images = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
    import torch
    if kind == "plain":
        from ultralytics import YOLO
        import ultralytics.utils.torch_utils as tu
        tu.NUM_THREADS = min(8, max(1, (os.cpu_count() or 1) - 1))  # Ultralytics' own choice, undo the package's
        start = time.perf_counter()
        yolo = YOLO(model)
        for image in images:
            yolo.predict(image, imgsz=imgsz, device="cpu", verbose=False)
    else:
        start = time.perf_counter()
        for image in images:
            yt.predict(model, image, imgsz=imgsz, show=False)
    seconds = time.perf_counter() - start
    print("RESULT " + json.dumps({"seconds": seconds, "fps": len(images) / seconds, "threads": torch.get_num_threads()}))
    '''
)


def measure(kind: str, model: str, imgsz: int, images: list[str], passive: bool = False) -> dict:
    # OMP_WAIT_POLICY=PASSIVE: OpenMP threads sleep instead of spinning while they wait (matters on a busy machine)
    return run_script(_RUNNER, kind, model, str(imgsz), json.dumps(images), extra_env={"OMP_WAIT_POLICY": "PASSIVE"} if passive else None)


def sample_model(folder: Path) -> str:
    """A yolov8n trained for one epoch at 64 px on a generated 30-image sample."""
    os.environ["YOLO_TRAINING_PROFILE"] = "fast"
    import yolo_training as yt

    export = yt.generate_sample(folder / "export", n_images=30, seed=3)
    split = yt.split_dataset(export, folder / "split", config=folder / "split" / "config.yaml")
    run = yt.train(split.config, model="yolov8n", epochs=1, imgsz=64, batch=8, project=folder / "runs", name="bench", verbose=False)
    os.environ.pop("YOLO_TRAINING_PROFILE")
    return str(run.best)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", help="a .pt file (default: train a tiny one on a generated sample)")
    p.add_argument("--images", type=int, default=60)
    p.add_argument("--sizes", type=int, nargs="+", default=[320, 640])
    p.add_argument("--runs", type=int, default=1, help="measurements of each kind (median)")
    p.add_argument("--no-onnx", action="store_true")
    p.add_argument("--omp-passive", action="store_true",
                   help="OMP_WAIT_POLICY=PASSIVE for every kind: on a machine busy with other work, spinning OpenMP "
                        "threads make 2-thread torch many times slower than 1 thread")
    a = p.parse_args()
    folder = Path(ROOT / "annotations" / "export" / "images")
    images = sorted(str(x) for x in folder.iterdir())[: a.images] if folder.is_dir() else []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = a.model or sample_model(tmp)
        if len(images) < a.images:
            import yolo_training as yt

            images = sorted(str(x) for x in (yt.generate_sample(tmp / "imgs", n_images=a.images, seed=5) / "images").iterdir())
        kinds = ["plain", "package"]
        onnx = {}
        if not a.no_onnx:
            try:
                import yolo_training as yt

                for size in a.sizes:
                    copy = tmp / f"model{size}.pt"
                    copy.write_bytes(Path(model).read_bytes())
                    onnx[size] = str(yt.export(copy, imgsz=size, images=images[:2]).path)
                kinds.append("onnx")
            except yt.YoloTrainingError as err:
                print(f"ONNX skipped: {err}")
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{os.cpu_count()} cores (load average {load:.1f} at the start); {len(images)} images one by one; model {model}"
              + ("; OMP_WAIT_POLICY=PASSIVE" if a.omp_passive else ""))
        results = {}
        for size in a.sizes:
            seconds = {kind: [] for kind in kinds}
            for i in range(a.runs):  # alternate the kinds, so a busy moment of the machine hits all of them
                for kind in kinds if i % 2 == 0 else kinds[::-1]:
                    r = measure("package" if kind == "onnx" else kind, onnx.get(size, model) if kind == "onnx" else model, size, images, a.omp_passive)
                    seconds[kind].append(r["seconds"])
                    print(f"  {size} px  {kind:8s} {r['seconds']:7.2f} s  {r['fps']:6.1f} images/s  ({r['threads']} thread(s))", flush=True)
            for kind in kinds:
                results[size, kind] = median(seconds[kind])
        print()
        for size in a.sizes:
            plain, package = results[size, "plain"], results[size, "package"]
            ratio = package / plain
            line = f"{size} px: time of the yt.predict loop / plain Ultralytics loop = {ratio:.2f}x ({'meets' if ratio <= 0.95 else 'misses'} the 0.95x goal)"
            if (size, "onnx") in results:
                line += f"; ONNX speed / .pt speed (both through predict) = {package / results[size, 'onnx']:.2f}x"
            print(line)


if __name__ == "__main__":
    main()
