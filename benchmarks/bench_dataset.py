"""How fast is dataset preparation, against the bare file system and Ultralytics' own checks?

Generates ``--n`` 640x480 JPEGs with YOLO label files in a temporary folder (removed at the
end), in two cases:

- ``random``: every image different (random shapes on random backgrounds);
- ``fixed``: one fixed camera: the same background, a few objects moving and changing, sensor
  noise. Nearly every frame is a near-duplicate of every other, the hard case for grouping.

After warming the file cache it measures, in the same run and alternating the order:

- the baseline: bare ``os.link`` of every image and label into train/val (80/20) plus
  Ultralytics' label verification (``verify_image_label`` on a ThreadPool of Ultralytics' own
  NUM_THREADS, as its dataset scan does) of the same files;
- ``split_dataset`` from scratch (inspection, near-duplicate hashing and grouping, linking)
  -> ratio to the baseline (target: within 2x);
- ``split_dataset`` given a report (the linking alone) -> ratio to bare ``os.link``;
- ``inspect_dataset`` without near-duplicate hashing -> ratio to ``verify_image_label``
  (target: no slower, 1.00 or less);
- near-duplicate hashing in images per second, and the grouping alone;
- peak memory of ``split_dataset`` at 1,000 and ``--n`` images, each in a fresh process.

Run: ``python benchmarks/bench_dataset.py`` (both cases at 10,000 images: about two minutes on
a 2-core machine; it is shared, so run it once, idle) or ``--n 500 --runs 1`` to try it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import median

_MEMORY = r"""
import json, os, sys, threading, time, tracemalloc
import yolo_training as yt

def rss_mb():  # current resident memory, Linux (/proc); 0 elsewhere
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0

before, peak, done = rss_mb(), [0.0], threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss_mb())
        time.sleep(0.005)
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
tracemalloc.start()
result = yt.split_dataset(sys.argv[1], sys.argv[2], config=None, progress=False)
python_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
done.set(); sampler.join()
print("RESULT " + json.dumps({"images": int(result.table["images"].sum()), "python_peak_mb": python_peak / 2**20,
                               "rss_growth_mb": peak[0] - before, "rss_before_mb": before}))
"""


def _random_image(i: int, seed: int):
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed * 1_000_003 + i)
    img = cv2.resize(rng.integers(0, 255, (12, 16, 3), dtype=np.uint8), (640, 480), interpolation=cv2.INTER_LINEAR)
    lines = []
    for _ in range(int(rng.integers(0, 4))):
        c = int(rng.integers(0, 3))
        w, h = rng.uniform(0.05, 0.3, 2)
        x, y = rng.uniform(w / 2, 1 - w / 2), rng.uniform(h / 2, 1 - h / 2)
        p0 = (int((x - w / 2) * 640), int((y - h / 2) * 480))
        p1 = (int((x + w / 2) * 640), int((y + h / 2) * 480))
        cv2.rectangle(img, p0, p1, tuple(int(v) for v in rng.integers(0, 255, 3)), -1)
        lines.append(f"{c} {x:.6f} {y:.6f} {w:.6f} {h:.6f}\n")
    return img, lines


_SCENES: dict = {}


def _fixed_camera_frame(i: int, seed: int):
    """Frame ``i`` of one fixed camera: the same background, three objects moving (one appears and
    disappears), a little sensor noise."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed * 1_000_003 + i)
    if seed not in _SCENES:  # the scene itself, the same for every frame, and a few patterns of sensor noise
        base = np.random.default_rng(seed).integers(0, 255, (60, 80, 3), dtype=np.uint8)
        noise = [np.random.default_rng(seed + k).integers(0, 5, (480, 640, 3), dtype=np.uint8) for k in range(8)]
        _SCENES[seed] = cv2.resize(cv2.GaussianBlur(base, (0, 0), 1), (640, 480), interpolation=cv2.INTER_CUBIC), noise
    background, noise = _SCENES[seed]
    frame = background.copy()
    lines = []
    for k, (colour, size) in enumerate((((20, 200, 40), 32), ((200, 40, 40), 40), ((40, 40, 220), 24))):
        if k == 2 and (i // 200) % 2:  # the third object leaves and comes back
            continue
        x = int(20 + 560 * (((i * (3 + k)) // 2 + 97 * k) % 560) / 560)
        y = int(240 + 150 * np.sin(i / (17 + 5 * k) + k))
        cv2.rectangle(frame, (x, y - size // 2), (x + size, y + size // 2), colour, -1)
        lines.append(f"{k} {(x + size / 2) / 640:.6f} {y / 480:.6f} {size / 640:.6f} {size / 480:.6f}\n")
    return cv2.add(frame, noise[int(rng.integers(len(noise)))]), lines


def generate(folder: Path, n: int, case: str, seed: int = 0) -> Path:
    """``n`` 640x480 JPEGs with their label files, in the Label Studio export layout."""
    from concurrent.futures import ThreadPoolExecutor

    import cv2

    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir()
    (folder / "classes.txt").write_text("a\nb\nc\n")
    make = _fixed_camera_frame if case == "fixed" else _random_image
    if case == "fixed":
        make(0, seed)  # the background, before the threads share it

    def one(i: int) -> None:
        img, lines = make(i, seed)
        name = f"frame_{i:05d}" if case == "fixed" else f"img_{i:05d}"
        cv2.imwrite(str(folder / "images" / f"{name}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        (folder / "labels" / f"{name}.txt").write_text("".join(lines))

    with ThreadPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(one, range(n)))
    return folder


def warm(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            p.read_bytes()


def bare_link(export: Path, out: Path) -> float:
    images = sorted((export / "images").iterdir())
    cut = int(len(images) * 0.8)
    start = time.perf_counter()
    for split, part in (("train", images[:cut]), ("val", images[cut:])):
        (out / "images" / split).mkdir(parents=True)
        (out / "labels" / split).mkdir(parents=True)
        for image in part:
            os.link(image, out / "images" / split / image.name)
            label = export / "labels" / f"{image.stem}.txt"
            os.link(label, out / "labels" / split / label.name)
    return time.perf_counter() - start


def ultralytics_verify(export: Path) -> tuple[float, int]:
    from multiprocessing.pool import ThreadPool

    from ultralytics.data.utils import verify_image_label
    from ultralytics.utils import NUM_THREADS

    images = sorted(str(p) for p in (export / "images").iterdir())
    args = [(im, str(export / "labels" / (Path(im).stem + ".txt")), "", False, 3, 0, 0, False) for im in images]
    start = time.perf_counter()
    with ThreadPool(NUM_THREADS) as pool:
        results = list(pool.imap(verify_image_label, args))
    elapsed = time.perf_counter() - start
    assert sum(r[6] for r in results) == len(images)  # every label found
    return elapsed, NUM_THREADS


def memory(export: Path, out: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", _MEMORY, str(export), str(out)], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1][7:])


def measure(case: str, n: int, runs: int, tmp: Path) -> dict:
    """Every timing of one case, medians over ``runs``, and peak memory at 1,000 and ``n`` images."""
    import yolo_training as yt
    from yolo_training.data.duplicates import dhash, near_duplicate_groups

    t = time.perf_counter()
    export = generate(tmp / case, n, case)
    print(f"[{case}] generated {n} images 640x480 in {time.perf_counter() - t:.1f} s", flush=True)
    warm(export)
    times: dict[str, list[float]] = {k: [] for k in ("link", "verify", "split", "split_linking", "inspect")}
    report = yt.inspect_dataset(export, near_duplicates=True, progress=False)
    groups = len(report.near_duplicates)
    largest = max((len(g) for g in report.near_duplicates), default=1)
    for i in range(runs):
        order = ["link", "verify", "split", "split_linking", "inspect"]
        for kind in order if i % 2 == 0 else order[::-1]:  # neither side always gets the warmer cache
            out = tmp / f"{case}-{kind}-{i}"
            start = time.perf_counter()
            if kind == "link":
                times[kind].append(bare_link(export, out))
                threads = None
            elif kind == "verify":
                seconds, threads = ultralytics_verify(export)
                times[kind].append(seconds)
            elif kind == "split":
                result = yt.split_dataset(export, out, config=None, progress=False)
                times[kind].append(time.perf_counter() - start)
                assert result.linked and result.table["images"].sum() == n
            elif kind == "split_linking":
                yt.split_dataset(export, out, config=None, report=report, progress=False)
                times[kind].append(time.perf_counter() - start)
            else:
                yt.inspect_dataset(export, near_duplicates=False, progress=False)
                times[kind].append(time.perf_counter() - start)
            shutil.rmtree(out, ignore_errors=True)
        print(f"[{case}] run {i + 1}/{runs}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
    from concurrent.futures import ThreadPoolExecutor

    images = sorted((export / "images").iterdir())
    start = time.perf_counter()
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        hashes = dict(zip((p.name for p in images), pool.map(dhash, images)))
    hash_t = time.perf_counter() - start
    start = time.perf_counter()
    near_duplicate_groups(hashes)
    group_t = time.perf_counter() - start
    small = tmp / f"{case}-small"
    (small / "images").mkdir(parents=True)
    (small / "labels").mkdir()
    shutil.copy(export / "classes.txt", small)
    for image in images[:1000]:
        os.link(image, small / "images" / image.name)
        os.link(export / "labels" / f"{image.stem}.txt", small / "labels" / f"{image.stem}.txt")
    mems = [memory(small, tmp / f"{case}-mem-small"), memory(export, tmp / f"{case}-mem-big")]
    shutil.rmtree(export)
    return dict(case=case, n=n, runs=runs, threads=threads or 1, groups=groups, largest=largest, hash_rate=len(images) / hash_t,
                group_t=group_t, memory=mems, **{k: median(v) for k, v in times.items()})


def report(m: dict) -> None:
    base = m["link"] + m["verify"]
    what = {"fixed": "one fixed camera", "random": "every image different"}[m["case"]]
    print(f"\n{m['n']} images 640x480 + labels ({what}), {os.cpu_count()} cores, warm file cache, medians of {m['runs']} run(s)")
    print(f"  bare os.link (80/20)                 : {m['link']:6.2f} s")
    print(f"  Ultralytics verify ({m['threads']} thread(s))      : {m['verify']:6.2f} s")
    print(f"  split_dataset, from scratch          : {m['split']:6.2f} s   ratio to os.link + verify {m['split'] / base:.2f}  (target <= 2)")
    print(f"  split_dataset, given a report        : {m['split_linking']:6.2f} s   ratio to os.link {m['split_linking'] / m['link']:.2f}")
    print(f"  inspect_dataset, no hashing          : {m['inspect']:6.2f} s   ratio to verify {m['inspect'] / m['verify']:.2f}  (target <= 1)")
    print(f"  near-duplicates: hashing {m['hash_rate']:.0f} images/s on {os.cpu_count()} threads, grouping {m['group_t']:.2f} s; "
          f"{m['groups']} group(s), largest {m['largest']} images")
    for mem in m["memory"]:
        print(f"  split_dataset peak memory at {mem['images']:>6} images: Python allocations {mem['python_peak_mb']:.1f} MB, "
              f"resident memory growth {mem['rss_growth_mb']:.1f} MB (above {mem['rss_before_mb']:.0f} MB after imports)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=10_000, help="images to generate (default 10,000)")
    p.add_argument("--runs", type=int, default=3, help="repetitions of each measurement (median)")
    p.add_argument("--case", choices=["fixed", "random", "both"], default="both", help="which image set (default both)")
    a = p.parse_args()
    cases = ["fixed", "random"] if a.case == "both" else [a.case]
    with tempfile.TemporaryDirectory(prefix="bench-dataset-") as tmp:
        results = [measure(case, a.n, a.runs, Path(tmp)) for case in cases]
    for m in results:
        report(m)


if __name__ == "__main__":
    main()
