"""Does training through yolo_training use the whole CPU, and what does it gain?

Trains the same from-scratch model on the bundled sample with identical arguments, once with
Ultralytics' own thread choice (min(8, cores - 1): one thread on a 2-core machine) and once
through ``yolo_training.train`` (every core), alternating, and prints the ratio of the median
wall times. Needs the split (`yolo-training split`). Run: ``python benchmarks/bench_threads.py``.
"""

from __future__ import annotations

import argparse
import os
import tempfile

from _common import alternate, median, run_training


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=3, help="runs of each kind (alternating)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--imgsz", type=int, default=320)
    p.add_argument("--model", default="yolov8n")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        times, threads = alternate(a.runs, lambda kind, i: run_training(
            kind, model=a.model, epochs=a.epochs, imgsz=a.imgsz, batch=16, project=tmp, name=f"{kind}{i}", plots=False))
    plain, package = median(times["plain"]), median(times["package"])
    print(f"\n{os.cpu_count()} cores; {a.model} from scratch, {a.epochs} epochs at {a.imgsz} px, {a.runs} runs each")
    print(f"plain Ultralytics ({threads['plain']} thread(s)): median {plain:.1f} s")
    print(f"yolo_training     ({threads['package']} thread(s)): median {package:.1f} s")
    print(f"ratio package/plain: {package / plain:.2f}  (below 1 is faster)")


if __name__ == "__main__":
    main()
