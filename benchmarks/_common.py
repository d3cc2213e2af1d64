"""Helpers shared by the benchmark scripts: run a training in a fresh process and time it.

Each measurement runs in its own Python process, because the thread count is per process and
the first import of torch and Ultralytics must not be counted for one side only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# "plain": Ultralytics as a student would call it, with its own thread choice.
# "package": the same training through yolo_training.train.
# Both see the same offline environment (config folder, font), so neither touches the network.
_RUNNER = textwrap.dedent(
    '''
    import json, sys, time
    import yolo_training as yt
    from yolo_training.data.config import prepare_data
    kind, args = sys.argv[1], json.loads(sys.argv[2])
    data = prepare_data(args.pop("config"))
    model = args.pop("model")
    if kind == "plain":
        import os
        from ultralytics import YOLO
        import ultralytics.utils.torch_utils as tu
        tu.NUM_THREADS = min(8, max(1, (os.cpu_count() or 1) - 1))  # Ultralytics' own choice, undo the package's
        start = time.perf_counter()
        YOLO(model + ".yaml").train(data=data, device="cpu", verbose=False, **args)
    else:
        start = time.perf_counter()
        yt.train(args.pop("config_path"), model=model + ".yaml", device="cpu", verbose=False, **args)
    import torch
    print("RESULT " + json.dumps({"seconds": time.perf_counter() - start, "threads": torch.get_num_threads()}))
    '''
)


def run_script(source: str, *argv: str, extra_env: dict | None = None) -> dict:
    """Run ``source`` in a fresh Python process (without the fast profile); return its ``RESULT {json}`` line."""
    env = {k: v for k, v in os.environ.items() if k != "YOLO_TRAINING_PROFILE"} | (extra_env or {})
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(source)
    try:
        proc = subprocess.run([sys.executable, f.name, *argv], capture_output=True, text=True, env=env)
    finally:
        os.unlink(f.name)
    if proc.returncode:
        raise RuntimeError(f"{argv[0] if argv else 'script'} run failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def run_training(kind: str, **args) -> dict:
    """Train in a fresh process (``kind`` is "plain" or "package"); returns seconds and threads."""
    args.setdefault("config", str(ROOT / "config.yaml"))
    if kind == "package":
        args["config_path"] = args["config"]
    return run_script(_RUNNER, kind, json.dumps(args))


def median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def alternate(runs: int, train) -> tuple[dict, dict]:
    """``train(kind, i)`` for "plain" and "package", ``runs`` times each, alternating which goes first.

    A machine that gets busier or quieter during the benchmark then weighs on both sides alike.
    Returns ``(seconds, threads)``: the seconds of each run by kind, and the threads each kind used.
    """
    times: dict = {"plain": [], "package": []}
    threads: dict = {}
    for i in range(runs):
        for kind in ("plain", "package") if i % 2 == 0 else ("package", "plain"):
            r = train(kind, i)
            times[kind].append(r["seconds"])
            threads[kind] = r["threads"]
            print(f"run {i + 1}/{runs} {kind:8s} {r['seconds']:7.1f} s  ({r['threads']} threads)", flush=True)
    return times, threads
