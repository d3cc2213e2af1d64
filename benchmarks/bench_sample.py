"""How fast does the demo learn the bundled sample? Time to mAP50 >= 0.8 on its validation split.

Runs the demo's training settings, chapter 4's budget (``budget_settings(DEMO_BUDGET)`` of
``yolo_training.course``: yolov8n from scratch, 224 px, a 5-minute budget, every core) and reads ``results.csv``, whose ``time`` column is the
elapsed training time at the end of each epoch. With ``--baseline`` it also trains plain
Ultralytics at its defaults (640 px, its own thread count) for the same 5 minutes, to show
what the CPU defaults buy. Needs the split (`yolo-training split`).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd

from _common import ROOT, run_training

TARGET = 0.8


def time_to_target(csv: Path) -> tuple[float | None, float, int]:
    table = pd.read_csv(csv)
    table.columns = [c.strip() for c in table.columns]
    hit = table[table["metrics/mAP50(B)"] >= TARGET]
    first = float(hit["time"].iloc[0]) if len(hit) else None
    return first, float(table["metrics/mAP50(B)"].max()), len(table)


def main() -> None:
    import sys

    sys.path.insert(0, str(ROOT))
    from yolo_training.course.chapters import budget_settings
    from yolo_training.course.demo import DEMO_BUDGET

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--baseline", action="store_true", help="also train plain Ultralytics at 640 px for the same time")
    a = p.parse_args()
    settings = budget_settings(DEMO_BUDGET)
    model = settings.pop("model")
    with tempfile.TemporaryDirectory() as tmp:
        r = run_training("package", model=model, project=tmp, name="demo", **settings)
        first, best, epochs = time_to_target(Path(tmp) / "demo" / "results.csv")
        print(f"demo settings: {settings}")
        print(f"  {epochs} epochs in {r['seconds'] / 60:.1f} min (whole run, {r['threads']} threads); best mAP50 {best:.3f}")
        if first is None:
            print(f"  mAP50 never reached {TARGET} (target: within 5 minutes)")
        else:
            print(f"  time to mAP50 >= {TARGET}: {first / 60:.2f} min (target: 5 min; ratio {first / 300:.2f})")
        if a.baseline:
            b = run_training("plain", model=model, project=tmp, name="plain", epochs=100, time=settings["time"], batch=16)
            _, best_plain, epochs_plain = time_to_target(Path(tmp) / "plain" / "results.csv")
            print(f"plain Ultralytics defaults (640 px, {b['threads']} thread(s)), same 5 minutes: {epochs_plain} epochs, best mAP50 {best_plain:.3f}")


if __name__ == "__main__":
    main()
