"""How fast is dataset preparation, against the bare file system and Ultralytics' own checks?

Generates ``--n`` 640x480 JPEGs with YOLO label files in a temporary folder (removed at the
end), warms the file cache, then measures in the same run:

- bare ``os.link`` of every image and label into train/val (80/20), and ``shutil.copy2``;
- ``split_dataset`` given an existing report (the linking split itself) -> ratio to os.link
  (target: within 2x);
- ``inspect_dataset`` without near-duplicate hashing vs Ultralytics' label verification
  (``verify_image_label`` on a ThreadPool of Ultralytics' own NUM_THREADS, as its dataset scan
  does) of the same images -> ratio (target: no slower);
- near-duplicate hashing on all cores, in images per second;
- peak memory of ``inspect_dataset`` at 1,000 and ``--n`` images, each in a fresh process.

Run: ``python benchmarks/bench_dataset.py`` (10,000 images: a few minutes; the machine is
shared, so run it once) or ``--n 500`` to try it.
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
report = yt.inspect_dataset(sys.argv[1], near_duplicates=True, progress=False)
python_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
done.set(); sampler.join()
print("RESULT " + json.dumps({"images": len(report.images), "python_peak_mb": python_peak / 2**20,
                               "rss_growth_mb": peak[0] - before, "rss_before_mb": before}))
"""


def generate(folder: Path, n: int, seed: int = 0) -> Path:
    """``n`` 640x480 JPEGs of random shapes with their label files, in export layout."""
    from concurrent.futures import ThreadPoolExecutor

    import cv2
    import numpy as np

    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir()
    (folder / "classes.txt").write_text("a\nb\nc\n")

    def one(i: int) -> None:
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
        cv2.imwrite(str(folder / "images" / f"img_{i:05d}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        (folder / "labels" / f"img_{i:05d}.txt").write_text("".join(lines))

    with ThreadPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(one, range(n)))
    return folder


def warm(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            p.read_bytes()


def bare(export: Path, out: Path, how) -> float:
    images = sorted((export / "images").iterdir())
    cut = int(len(images) * 0.8)
    start = time.perf_counter()
    for split, part in (("train", images[:cut]), ("val", images[cut:])):
        (out / "images" / split).mkdir(parents=True)
        (out / "labels" / split).mkdir(parents=True)
        for image in part:
            how(image, out / "images" / split / image.name)
            label = export / "labels" / f"{image.stem}.txt"
            how(label, out / "labels" / split / label.name)
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


def memory(export: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", _MEMORY, str(export)], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1][7:])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=10_000, help="images to generate")
    p.add_argument("--runs", type=int, default=3, help="repetitions of the quick measurements (median)")
    a = p.parse_args()
    import yolo_training as yt
    from yolo_training.dataset import dhash, near_duplicate_groups

    with tempfile.TemporaryDirectory(prefix="bench-dataset-") as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        export = generate(tmp / "export", a.n)
        print(f"generated {a.n} images 640x480 in {time.perf_counter() - t:.1f} s", flush=True)
        warm(export)
        link_t, copy_t, split_t, inspect_t, ultra_t = [], [], [], [], []
        report = yt.inspect_dataset(export, near_duplicates=False, progress=False)
        for i in range(a.runs):
            link_t.append(bare(export, tmp / f"link{i}", os.link))
            copy_t.append(bare(export, tmp / f"copy{i}", shutil.copy2))
            start = time.perf_counter()
            result = yt.split_dataset(export, tmp / f"split{i}", config=None, report=report, progress=False)
            split_t.append(time.perf_counter() - start)
            assert result.linked
            # alternate the order of the two checks: neither always gets the warmer cache
            for kind in (("inspect", "ultra") if i % 2 == 0 else ("ultra", "inspect")):
                if kind == "inspect":
                    start = time.perf_counter()
                    yt.inspect_dataset(export, near_duplicates=False, progress=False)
                    inspect_t.append(time.perf_counter() - start)
                else:
                    seconds, threads = ultralytics_verify(export)
                    ultra_t.append(seconds)
            for folder in (f"link{i}", f"copy{i}", f"split{i}"):
                shutil.rmtree(tmp / folder)
            print(f"run {i + 1}/{a.runs}: link {link_t[-1]:.2f} s, copy2 {copy_t[-1]:.2f} s, split {split_t[-1]:.2f} s, "
                  f"inspect {inspect_t[-1]:.2f} s, ultralytics verify {ultra_t[-1]:.2f} s", flush=True)
        from concurrent.futures import ThreadPoolExecutor

        images = sorted((export / "images").iterdir())
        start = time.perf_counter()
        with ThreadPoolExecutor(os.cpu_count()) as pool:
            hashes = dict(zip((p.name for p in images), pool.map(dhash, images)))
        hash_t = time.perf_counter() - start
        start = time.perf_counter()
        groups = near_duplicate_groups(hashes)
        group_t = time.perf_counter() - start

        small = tmp / "small"
        (small / "images").mkdir(parents=True)
        (small / "labels").mkdir()
        shutil.copy(export / "classes.txt", small)
        for image in images[:1000]:
            os.link(image, small / "images" / image.name)
            os.link(export / "labels" / f"{image.stem}.txt", small / "labels" / f"{image.stem}.txt")
        mem_small, mem_big = memory(small), memory(export)

    link, copy, split, insp, ultra = map(median, (link_t, copy_t, split_t, inspect_t, ultra_t))
    print(f"\n{a.n} images 640x480 + labels, {os.cpu_count()} cores, warm file cache, medians of {a.runs} runs")
    print(f"bare os.link (80/20)           : {link:6.2f} s")
    print(f"shutil.copy2 (80/20)           : {copy:6.2f} s")
    print(f"split_dataset (given a report) : {split:6.2f} s   ratio to os.link {split / link:.2f}  (target <= 2)")
    print(f"inspect_dataset, no hashing    : {insp:6.2f} s")
    print(f"Ultralytics verify ({threads} thread(s)): {ultra:6.2f} s   ratio inspect/ultralytics {insp / ultra:.2f}  (target <= 1)")
    print(f"near-duplicate hashing         : {len(images) / hash_t:6.0f} images/s on {os.cpu_count()} threads, "
          f"grouping {group_t:.2f} s, {len(groups)} group(s) found")
    for m in (mem_small, mem_big):
        print(f"inspect_dataset peak memory at {m['images']:>6} images: Python allocations {m['python_peak_mb']:.1f} MB, "
              f"peak resident memory growth {m['rss_growth_mb']:.1f} MB (above {m['rss_before_mb']:.0f} MB after imports)")


if __name__ == "__main__":
    main()
