"""Do the live display, the run registry and the package's callbacks cost training time?

Trains the same from-scratch model on the bundled sample with identical Ultralytics arguments
and the same thread count, once as plain ``YOLO(...).train(...)`` and once through
``yolo_training.train`` with everything on (text live display, ``train.log``, ``run.json``
registry, Stop and best-metric callbacks), each in a fresh process, alternating, and prints the
ratio of the median wall times (target: at most 1.03). Needs the split (`yolo-training split`).
Run: ``python benchmarks/bench_overhead.py [--runs 3 --epochs 2 --imgsz 160]``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import textwrap

from _common import ROOT, alternate, median, run_script

# Both sides: the package's offline environment and every core (devices.use_all_cores), the same
# arguments; only the wrapper differs. The clock starts right before the training call.
_RUNNER = textwrap.dedent(
    '''
    import json, sys, time
    import yolo_training as yt
    from yolo_training.core import devices
    from yolo_training.data.config import prepare_data
    kind, args = sys.argv[1], json.loads(sys.argv[2])
    config, model = args.pop("config"), args.pop("model")
    threads = devices.use_all_cores()
    import torch
    # The same random initial weights on both sides: a from-scratch model's validation time (NMS over
    # its random boxes) varies by seconds between initialisations and would swamp the comparison.
    torch.manual_seed(0)
    if kind == "plain":
        from ultralytics import YOLO
        data = prepare_data(config)
        start = time.perf_counter()
        YOLO(model + ".yaml").train(data=data, device="cpu", **args)
    else:
        start = time.perf_counter()
        yt.train(config, model=model + ".yaml", device="cpu", progress="text", **args)
    seconds = time.perf_counter() - start
    print("RESULT " + json.dumps({"seconds": seconds, "threads": torch.get_num_threads()}))
    '''
)


def run(kind: str, **args) -> dict:
    return run_script(_RUNNER, kind, json.dumps(args))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=3, help="runs of each kind (alternating)")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--imgsz", type=int, default=160)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--model", default="yolov8n")
    p.add_argument("--config", default=str(ROOT / "config.yaml"))
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        times, threads = alternate(a.runs, lambda kind, i: run(
            kind, config=a.config, model=a.model, epochs=a.epochs, imgsz=a.imgsz, batch=a.batch, patience=100,
            plots=False, verbose=True, project=tmp, name=f"{kind}{i}"))
    plain, package = median(times["plain"]), median(times["package"])
    print(f"\n{os.cpu_count()} cores; {a.model} from scratch, {a.epochs} epochs at {a.imgsz} px, batch {a.batch}, {a.runs} runs each")
    print(f"plain YOLO().train() ({threads['plain']} threads): median {plain:.2f} s  {sorted(round(t, 2) for t in times['plain'])}")
    print(f"yolo_training.train() ({threads['package']} threads): median {package:.2f} s  {sorted(round(t, 2) for t in times['package'])}")
    print(f"ratio package/plain: {package / plain:.3f}  (target <= 1.03)")


if __name__ == "__main__":
    main()
