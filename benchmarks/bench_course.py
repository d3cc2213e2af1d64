"""How long does each chapter take with the settings written in it? The table of docs/instructors.md.

Clones the current checkout (its last commit) into a temporary folder, copies the pretrained
weights cached in ``weights/``, and runs every notebook of the clone top to bottom, one after the
other in that one project folder, as a student does: nbclient, one kernel per chapter, the
package of the clone first on the path, **without** ``YOLO_TRAINING_PROFILE=fast``. Prints, as
Markdown, each chapter's time and its slowest cell, the machine (processor, cores, load average
before and after each chapter, date) and the final metrics of chapter 4's run.
``--write-docs`` puts that table into docs/instructors.md, between the ``<!-- course-times -->``
markers, and the measured minutes and the machine's speed probe score into the chapter registry,
``yolo_training/course/chapters.py`` (each row's ``minutes`` of ``CHAPTERS``, and ``REFERENCE_SPEED``:
what ``doctor`` scales to a student's laptop). The chapters, their order and titles are the registry's. The whole course takes about 10 minutes on 2 cores: run it on an idle machine
(``make bench-course``). ``--chapters 01_data_acquisition`` runs only the chapters named.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT

sys.path.insert(0, str(ROOT / "docs" / "hooks"))
import execute  # docs/hooks/execute.py: runs a notebook, describes the machine (shared with the site's hook)

DOCS = ROOT / "docs" / "instructors.md"
REGISTRY = Path("yolo_training") / "course" / "chapters.py"  # the chapter registry, inside a project folder
CHAPTER_PY = ROOT / REGISTRY
BEGIN, END = "<!-- course-times -->", "<!-- /course-times -->"
RUN_DIR = Path("runs") / "detect" / "course"  # chapter 4's run, inside the project folder
METRICS = {"precision": "metrics/precision(B)", "recall": "metrics/recall(B)", "mAP50": "metrics/mAP50(B)", "mAP50-95": "metrics/mAP50-95(B)"}


def clone(target: Path) -> str:
    """A fresh clone of this checkout's last commit in ``target``, with the cached weights; the commit."""
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(target)], check=True)
    execute.copy_weights(ROOT, target)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, check=True).stdout.strip()
    if dirty:
        print("note: uncommitted changes in the checkout are not measured (the clone has the last commit)")
    return subprocess.run(["git", "-C", str(target), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()


def run_chapter(row: dict, project: Path, env: dict) -> dict:
    """Execute one chapter; its time, slowest cell and load averages (and the error if a cell failed)."""
    from nbclient.exceptions import CellExecutionError

    notebook = project / "notebooks" / f"{row['notebook']}.ipynb"
    before = execute.load_average()
    start = time.perf_counter()
    try:
        nb, run = execute.execute(notebook, project, env)
        error = None
    except CellExecutionError as e:
        nb, run, error = e.notebook, {}, str(e).strip().splitlines()[-1][:200]
    slowest = execute.slowest_cell(nb)
    return {
        "chapter": row["notebook"],
        "number": row["number"],
        "title": f"{row['number']}. {row['title']}",
        "seconds": run.get("seconds", round(time.perf_counter() - start, 1)),
        "slowest cell": slowest[0] if slowest else None,
        "slowest seconds": slowest[1] if slowest else None,
        "load before": before,
        "load after": execute.load_average(),
        "error": error,
    }


def final_metrics(project: Path) -> dict | None:
    """Chapter 4's run: epochs trained, its last epoch's metrics and the best mAP50 (from results.csv)."""
    csv_path = project / RUN_DIR / "results.csv"
    if not csv_path.is_file():
        return None
    with csv_path.open(newline="") as f:
        rows = [{k.strip(): v.strip() for k, v in row.items()} for row in csv.DictReader(f)]
    if not rows:
        return None
    last = rows[-1]
    found = {name: float(last[column]) for name, column in METRICS.items() if column in last}
    found["epochs"] = len(rows)
    found["best mAP50"] = max(float(r[METRICS["mAP50"]]) for r in rows if METRICS["mAP50"] in r)
    if "time" in last:
        found["training seconds"] = float(last["time"])
    return found


def table(results: list[dict], machine: dict, commit: str, metrics: dict | None, weights: list[str]) -> str:
    """The Markdown block docs/instructors.md shows."""
    def load(values):
        return f"{values[0]:.1f}" if values else "?"

    intro = (f"Measured by `benchmarks/bench_course.py` on {machine['date'][:10]}: {execute.describe_machine(machine)}; "
             f"Ultralytics {machine['versions'].get('ultralytics')}, PyTorch {machine['versions'].get('torch')}, commit {commit}; "
             f"pretrained weights: {', '.join(weights) if weights else 'none (models trained from scratch)'}. "
             "Each notebook ran top to bottom with the settings written in it, one after the other in one fresh clone.")
    lines = [
        intro,
        "",
        "| chapter | time | slowest cell | load average (1 min) before → after |",
        "| --- | --- | --- | --- |",
    ]
    for r in results:
        slowest = f"`{r['slowest cell'][:70]}` ({execute.fmt_duration(r['slowest seconds'])})" if r["slowest cell"] else ""
        failed = f" **failed**: {r['error']}" if r["error"] else ""
        lines.append(f"| {r['title']} | {execute.fmt_duration(r['seconds'])}{failed} | {slowest.replace('|', '&#124;')} | "
                     f"{load(r['load before'])} → {load(r['load after'])} |")
    total = sum(r["seconds"] for r in results)
    lines.append(f"| **all chapters** | **{execute.fmt_duration(total)}** | | |")
    later = [r["seconds"] for r in results if 4 <= r["number"] <= 7]
    if len(later) == 4:
        lines.append(f"| chapters 4 to 7 | {execute.fmt_duration(sum(later))} | | |")
    if metrics:
        shown = ", ".join(f"{k} {metrics[k]:.3f}" for k in ("mAP50", "mAP50-95", "precision", "recall") if k in metrics)
        took = f" in {execute.fmt_duration(metrics['training seconds'])}" if "training seconds" in metrics else ""
        lines += ["", f"Chapter 4's run: {metrics['epochs']} epochs{took}; last epoch {shown}; best mAP50 {metrics['best mAP50']:.3f}."]
    return "\n".join(lines)


def write_docs(block: str, path: Path = DOCS) -> None:
    """Replace what is between the markers in ``path`` with ``block``."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{path} has no {BEGIN} ... {END} block to rewrite")
    path.write_text(pattern.sub(lambda _: f"{BEGIN}\n{block}\n{END}", text), encoding="utf-8")


def speed_probe(project: Path, env: dict) -> float:
    """The machine's speed probe score (steps per second), with the clone's package, in its own process."""
    code = "from yolo_training.classroom.preflight import speed_probe; print(speed_probe(10.0)['steps_per_second'])"
    out = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def reference_figures(results: list[dict], score: float) -> dict:
    """The reference machine's figures for the registry: each chapter's minutes (by notebook) and the probe score."""
    return {"minutes": {r["chapter"]: round(r["seconds"] / 60, 1) for r in results}, "speed": round(score, 2)}


def write_reference(figures: dict, path: Path = CHAPTER_PY) -> None:
    """Put the measured minutes into each row of ``CHAPTERS`` and the score into ``REFERENCE_SPEED`` (every chapter run)."""
    text = path.read_text(encoding="utf-8")
    for notebook, minutes in figures["minutes"].items():
        text, n = re.subn(rf'^(\s*ChapterInfo\(.*\bnotebook="{re.escape(notebook)}".*\bminutes=)[0-9.]+', rf"\g<1>{minutes}",
                          text, count=1, flags=re.MULTILINE)
        if n != 1:
            raise SystemExit(f"{path} has no CHAPTERS row with notebook=\"{notebook}\" and minutes=")
    text, n = re.subn(r"^REFERENCE_SPEED\b.*$", f"REFERENCE_SPEED: float | None = {figures['speed']:.2f}", text, count=1, flags=re.MULTILINE)
    if n != 1:
        raise SystemExit(f"{path} has no line starting with REFERENCE_SPEED")
    path.write_text(text, encoding="utf-8")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chapters", nargs="+", default=None, help="notebook names to run (default: every notebook, in order)")
    p.add_argument("--write-docs", action="store_true", help=f"put the table into {DOCS.relative_to(ROOT)}")
    p.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    p.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    a = p.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-course-"))
    project = work / "yolo-training"
    commit = clone(project)
    rows = execute.read_chapters(project / REGISTRY)  # the clone's chapters, in order
    if a.chapters:
        unknown = set(a.chapters) - {r["notebook"] for r in rows}
        if unknown:
            raise SystemExit(f"no such notebook: {sorted(unknown)}; there are {[r['notebook'] for r in rows]}")
        rows = [r for r in rows if r["notebook"] in a.chapters]
    # the clone's package first on the path; every chapter with the settings written in it
    env = execute.kernel_env(project, {"PYTHONPATH": os.pathsep.join([str(project), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)},
                             drop=("YOLO_TRAINING_PROFILE",))
    machine = {**execute.machine(), "versions": execute.versions()}
    print(f"project: {project} (commit {commit}); machine: {execute.describe_machine(machine)}; load average {machine['load average']}")
    score = speed_probe(project, env)
    print(f"speed probe: {score:.2f} steps/s", flush=True)
    results = []
    for row in rows:
        print(f"{row['notebook']} ...", end=" ", flush=True)
        results.append(run_chapter(row, project, env))
        r = results[-1]
        print(execute.fmt_duration(r["seconds"]) + (f"  FAILED: {r['error']}" if r["error"] else ""), flush=True)
    metrics = final_metrics(project)
    weights = sorted(p.name for p in (project / "weights").glob("*.pt"))
    block = table(results, machine, commit, metrics, weights)
    print()
    print(block)
    if a.json:
        a.json.write_text(json.dumps({"machine": machine, "commit": commit, "chapters": results, "chapter 4 run": metrics}, indent=1))
    figures = reference_figures(results, score)
    print(f"\nminutes by chapter: {figures['minutes']}; REFERENCE_SPEED {figures['speed']:.2f}")
    if a.write_docs:
        write_docs(block)
        print(f"\nwritten to {DOCS}")
        if not a.chapters and not any(r["error"] for r in results):
            write_reference(figures)
            print(f"written to {CHAPTER_PY}")
    if a.keep:
        print(f"\nthe clone: {project}")
    else:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
