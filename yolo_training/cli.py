"""The ``yolo-training`` command: one sub-command per step of the course.

    yolo-training sample     write the bundled sample export (annotations/export)
    yolo-training report     what an export holds and what is wrong with it (or a run's plots)
    yolo-training split      split the export into train/val and write config.yaml
    yolo-training train      train a model on config.yaml (--resume RUN continues an interrupted one)
    yolo-training runs       list the training runs, or delete one
    yolo-training weights    list or fetch pretrained weights for offline use
    yolo-training demo       all of the above on the sample, with chapter 4's settings
    yolo-training predict    run a trained model on photos, a folder, a video or the webcam
    yolo-training diagnose   read a training run and say what to do next
    yolo-training models     the trained models with their metrics
    yolo-training doctor     what this machine will use, and whether it is ready offline
    yolo-training course     write the students' version of the notebooks (solutions removed)
    yolo-training label      install, start, stop Label Studio (its own venv, on this machine only)
    yolo-training explore    search training settings with Optuna (resumable; workers share a study)
    yolo-training workshop   pack the course for offline laptops; is this laptop ready for the workshop
    yolo-training class      the class at a glance (instructor); join or leave a class (student)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .classroom import class_view, workshop
from .core import env
from .core.commands import Command, no_arguments


def _root() -> Path:
    return env.project_root()


# --------------------------------------------------------------------------- the commands
# Each command is a Command (yolo_training.core.commands): its name, help line, a function that adds its
# arguments and one that runs it and returns the exit code. The small ones have both here; workshop and
# class keep theirs in their modules, which offer their COMMAND.


def _sample_args(s: argparse.ArgumentParser) -> None:
    s.add_argument("--out", default=None, help="folder (default: annotations/export of the project)")
    s.add_argument("--images", type=int, default=None, help="number of photos")
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--task", choices=["detect", "segment", "classify"], default="detect")
    s.add_argument("--overwrite", action="store_true", help="replace a sample generated earlier")


def _sample(args, root: Path) -> int:
    from .data.sample import IMAGE_SIZE, N_IMAGES, SEED, generate_sample

    out = generate_sample(
        args.out or env.export_dir(root),
        n_images=N_IMAGES if args.images is None else args.images,
        seed=SEED if args.seed is None else args.seed,
        task=args.task,
        size=IMAGE_SIZE,
        overwrite=args.overwrite,
    )
    print(f"Sample written to {out}")
    return 0


def _report_args(r: argparse.ArgumentParser) -> None:
    r.add_argument("export", nargs="?", default=None, help="export folder (default: annotations/export)")
    r.add_argument("--run", default=None, help="a run folder: list its plots and final metrics")
    r.add_argument("--no-near-duplicates", action="store_true", help="skip the near-duplicate search (faster on big exports)")
    r.add_argument("--import", dest="import_from", default=None, help="first import a Label Studio zip, VOC or COCO export into EXPORT")
    _dataset_args(r)


def _dataset_args(p: argparse.ArgumentParser) -> None:
    """What any dataset reader takes: class names for sets that have none, and the task."""
    p.add_argument("--names", nargs="+", default=None, help="class names, id 0 first (for a dataset that ships none)")
    p.add_argument("--task", default="auto", choices=["auto", "detect", "segment", "classify"],
                   help="read labels as boxes, polygons or class folders (default: from the files)")
    p.add_argument("--annotations", default=None, metavar="FILE",
                   help="with two sources of annotations in one folder, the file to read (e.g. annotations.xml)")
    p.add_argument("--allow-unread", action="store_true",
                   help="go on although files holding annotations were found but not read (they stay listed)")


def _report(args, root: Path) -> int:
    import yolo_training as yt

    if args.run:
        run = yt.Run.from_dir(args.run)
        print(run.summary())
        yt.show_results(run)
        return 0
    export = args.export or env.export_dir(root)
    if args.import_from:
        print(yt.import_export(args.import_from, export, source_file=args.annotations, allow_unread=args.allow_unread))
    print(yt.inspect_dataset(export, near_duplicates=not args.no_near_duplicates, names=args.names, task=args.task,
                             source=args.annotations).summary())
    return 0


def _split_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--source", default=None, help="export folder (default: annotations/export)")
    sp.add_argument("--out", default=None, help="where images/ and labels/ go (default: beside the export)")
    sp.add_argument("--ratios", type=float, nargs="+", default=[0.8, 0.2])
    sp.add_argument("--seed", type=int, default=42)
    sp.add_argument("--config", default=None, help="config file to write (default: config.yaml of the project)")
    sp.add_argument("--overwrite", action="store_true", help="replace an earlier split")
    sp.add_argument("--train", default=None, help="text file listing the training images (explicit split)")
    sp.add_argument("--val", default=None, help="text file listing the validation images")
    sp.add_argument("--test", default=None, help="text file listing the test images")
    sp.add_argument("--export-splits", action="store_true", help="use the export's own split files (VOC ImageSets, splits/)")
    sp.add_argument("--resplit", action="store_true", help="split anew a dataset that came split by its publisher")
    _dataset_args(sp)
    sp.add_argument("--no-group", action="store_true", help="do not keep near-duplicates and video frames together")
    sp.add_argument("--fix", nargs="*", default=None,
                    help="repair into the split: format clip degenerate exif (none given: all; default: format)")
    sp.add_argument("--no-fix", action="store_true", help="repair nothing: images that need it are left out")
    sp.add_argument("--remove-duplicates", action="store_true", help="leave exact duplicate images out of the split")
    sp.add_argument("--remove-near-duplicates", action="store_true", help="leave near-duplicates out of the split (one kept)")
    sp.add_argument("--keep-complete", action="store_true", help="only images in which every class is annotated")
    sp.add_argument("--drop-unlabelled", action="store_true", help="leave out images without a label file")
    sp.add_argument("--max-backgrounds", type=float, default=None, help="keep at most this share of backgrounds, e.g. 0.1")


def _split(args, root: Path) -> int:
    from .data.split import split_dataset

    result = split_dataset(
        Path(args.source) if args.source else env.export_dir(root),
        args.out,
        ratios=tuple(args.ratios),
        seed=args.seed,
        config=args.config or env.config_path(root),
        overwrite=args.overwrite,
        train=args.train,
        val=args.val,
        test=args.test,
        export_splits=args.export_splits,
        group=not args.no_group,
        fix=False if args.no_fix else ("format" if args.fix is None else (args.fix or True)),
        remove_duplicates=args.remove_duplicates,
        remove_near_duplicates=args.remove_near_duplicates,
        keep_complete=args.keep_complete,
        drop_unlabelled=args.drop_unlabelled,
        max_backgrounds=args.max_backgrounds,
        keep_split=not args.resplit,
        names=args.names,
        task=args.task,
        source_file=args.annotations,
        allow_unread=args.allow_unread,
    )
    print(result)
    return 0


def _train_args(t: argparse.ArgumentParser) -> None:
    t.add_argument("--config", default=None, help="default: config.yaml of the project")
    t.add_argument("--model", default="yolov8n")
    t.add_argument("--task", choices=["detect", "segment", "classify"], default=None)
    t.add_argument("--epochs", type=int, default=None)
    t.add_argument("--imgsz", type=int, default=None)
    t.add_argument("--batch", type=int, default=None)
    t.add_argument("--device", default="auto")
    t.add_argument("--name", default=None)
    t.add_argument("--project", default=None)
    t.add_argument("--overwrite", action="store_true", help="replace the run of this name instead of making name2")
    t.add_argument("--resume", default=None, metavar="RUN", help="continue an interrupted run (name or folder) from its last.pt")


def _train(args, root: Path) -> int:
    from .training.fit import resume, train

    if args.resume:
        run = resume(args.resume, project=args.project, device=None if args.device == "auto" else args.device)
    else:
        run = train(
            args.config or env.config_path(root), model=args.model, task=args.task, epochs=args.epochs, imgsz=args.imgsz,
            batch=args.batch, device=args.device, name=args.name, project=args.project, overwrite=args.overwrite,
        )
    print(f"Run folder: {run.dir}")
    return 0


def _runs_args(rn: argparse.ArgumentParser) -> None:
    rn.add_argument("action", choices=["list", "delete"])
    rn.add_argument("name", nargs="?", default=None, help="the run to delete")
    rn.add_argument("--project", default=None, help="runs folder (default: runs/ of the project)")


def _runs(args, root: Path) -> int:
    from .core.errors import YoloTrainingError
    from .training.runs import delete_run, list_runs

    if args.action == "delete":
        if not args.name:
            raise YoloTrainingError("Name the run to delete: yolo-training runs delete NAME (see yolo-training runs list).")
        print(f"Deleted {delete_run(args.name, args.project)}")
        return 0
    table = list_runs(args.project)
    shown = [c for c in ("name", "task", "model", "status", "epochs_done", "epochs", "mAP50", "mAP50-95", "top1", "ended") if c in table]
    print(table[shown].to_string(index=False) if len(table) else "No runs yet.")
    return 0


def _weights_args(w: argparse.ArgumentParser) -> None:
    w.add_argument("action", choices=["list", "fetch"])
    w.add_argument("names", nargs="*", help="e.g. yolov8n yolo11n yolo11n-seg")


def _weights(args, root: Path) -> int:
    from .core.env import weights_dir
    from .training.models import cached_weights, fetch_weights

    if args.action == "fetch":
        for path in fetch_weights(*(args.names or ["yolov8n"])):
            print(f"saved {path}")
        return 0
    cached = cached_weights()
    print("\n".join(str(p) for p in cached) if cached else f"No weights cached in {weights_dir()}.")
    return 0


def _demo_args(d: argparse.ArgumentParser) -> None:
    d.add_argument("--name", default="demo")


def _demo(args, root: Path) -> int:
    from .course.demo import run_demo

    run_demo(root, name=args.name)
    return 0


def _predict_args(pr: argparse.ArgumentParser) -> None:
    pr.add_argument("source", help="an image, a folder of images, a video file, or a camera number (0)")
    pr.add_argument("--model", default=None, help="a .pt/.onnx file or a run name (default: the newest trained model)")
    pr.add_argument("--conf", type=float, default=0.25, help="lowest confidence shown (default 0.25)")
    pr.add_argument("--fallback", default=None, help="a video to use when there is no camera")


def _predict(args, root: Path) -> int:
    from .core.errors import YoloTrainingError
    from .inference.predictions import predict
    from .training.runs import list_models

    model = args.model
    if model is None:
        models = list_models()
        if not len(models):
            raise YoloTrainingError("No trained model yet: train one (`yolo-training train`) or pass --model a .pt file.")
        model = models.sort_values("trained").iloc[-1]["path"]
    source = int(args.source) if args.source.isdigit() else args.source
    result = predict(model, source, conf=args.conf, fallback=args.fallback, save=True)
    print(result.detections.to_string(index=False, max_rows=40) if len(result.detections) else "No detections above the confidence threshold.")
    return 0


def _diagnose_args(dg: argparse.ArgumentParser) -> None:
    dg.add_argument("run", help="a run folder or a run name (see `yolo-training runs list`)")
    dg.add_argument("--data", default=None, help="the split's config.yaml (default: the dataset the run trained on)")
    dg.add_argument("--no-validate", action="store_true", help="read results.csv only (no per-class analysis; fast)")


def _diagnose(args, root: Path) -> int:
    from .results.diagnosis import diagnose

    print(diagnose(args.run, data=args.data, validate_model=not args.no_validate))
    return 0


def _models(args, root: Path) -> int:
    from .training.runs import list_models

    models = list_models()
    print(models.drop(columns="path").to_string(index=False) if len(models) else "No trained models yet.")
    return 0


def _doctor(args, root: Path) -> int:
    from .classroom.checkup import doctor

    doctor()
    return 0


def _course_args(co: argparse.ArgumentParser) -> None:
    co.add_argument("--student", required=True, metavar="OUT", help="folder for the student notebooks")
    co.add_argument("--source", default=None, help="notebook folder (default: notebooks/ of the project)")
    co.add_argument("--overwrite", action="store_true", help="replace a student version written earlier")


def _course(args, root: Path) -> int:
    from .course.student import student_version

    for path in student_version(args.student, args.source, overwrite=args.overwrite):
        print(f"wrote {path}")
    return 0


def _label_args(lb: argparse.ArgumentParser) -> None:
    lb.add_argument("action", choices=["install", "start", "stop", "status"])
    lb.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (start)")


def _label(args, root: Path) -> int:
    from .annotate import server

    if args.action == "install":
        print(f"Label Studio installed: {server.install_label_studio()}")
    elif args.action == "start":
        server.start_label_studio(port=args.port)
    elif args.action == "stop":
        server.stop_label_studio()
    else:
        info = server.label_studio_status()
        print(info if info else "Label Studio is not running (`yolo-training label start`).")
        return 0 if info else 1
    return 0


def _explore_args(x: argparse.ArgumentParser) -> None:
    x.add_argument("--config", default=None, help="default: config.yaml of the project")
    x.add_argument("--study", default="explore", help="study name: run again to continue it")
    x.add_argument("--storage", default=None, help="where the workers share the study: a .db file, a .journal file on a shared folder, "
                   "or a PostgreSQL URL (default: runs/explore.db)")
    x.add_argument("--trials", type=int, default=20, help="trials the study should hold in total, from all workers")
    x.add_argument("--metric", default="mAP50-95")
    x.add_argument("--budget", type=int, default=None, help="most epochs per trial (default 10)")
    x.add_argument("--space", default=None, help="YAML or JSON file: {argument: [choices] | {low: , high: , log: true} | value}")
    x.add_argument("--seed", type=int, default=0)
    x.add_argument("--pruner", choices=["median", "halving", "none"], default="median")
    x.add_argument("--task", choices=["detect", "segment", "classify"], default="detect")
    x.add_argument("--device", default="auto")
    x.add_argument("--project", default=None, help="folder for the trials' runs (default: runs/explore/<study>)")
    x.add_argument("--results", action="store_true", help="only print the study's trials and best settings")
    x.add_argument("--if-exists", choices=["continue", "new", "replace"], default="continue",
                   help="when the study holds another search space: refuse (continue), use STUDY-2 (new), or start it again (replace)")


def _explore(args, root: Path) -> int:
    from .search.study import best_trial, explore, study_results
    from .search.space import read_space

    study = args.study
    if not args.results:
        study = explore(
            args.config or env.config_path(root), trials=args.trials, space=read_space(args.space) if args.space else None,
            metric=args.metric, budget_per_trial=args.budget, study=args.study, storage=args.storage, seed=args.seed,
            pruner=args.pruner, task=args.task, device=args.device, project=args.project, if_exists=args.if_exists,
        )
    print(study_results(study, args.storage).to_string(index=False))
    print(best_trial(study, args.storage))
    return 0


#: Every command, in the order of ``yolo-training --help``.
COMMANDS: tuple[Command, ...] = (
    Command("sample", "write the procedurally drawn sample (Label Studio export layout)", _sample_args, _sample),
    Command("report", "what an export holds and what is wrong with it; or --run for a run's plots", _report_args, _report),
    Command("split", "split the export into train/val(/test) and write config.yaml", _split_args, _split),
    Command("train", "train a model on config.yaml", _train_args, _train),
    Command("runs", "list the project's training runs, or delete one", _runs_args, _runs),
    Command("weights", "list cached pretrained weights, or fetch some while online", _weights_args, _weights),
    Command("demo", "the whole pipeline on the bundled sample, with chapter 4's settings", _demo_args, _demo),
    Command("predict", "run a trained model on photos, a folder, a video or the webcam", _predict_args, _predict),
    Command("diagnose", "read a training run: trends, weakest class, data problems, what to do", _diagnose_args, _diagnose),
    Command("models", "the trained models of the project, with their metrics", no_arguments, _models),
    Command("doctor", "versions, device, threads, offline readiness", no_arguments, _doctor),
    Command("course", "write the students' version of the notebooks: solution cells emptied", _course_args, _course),
    Command("label", "Label Studio in its own venv: install once, then start / stop / status", _label_args, _label),
    Command("explore", "search training settings with Optuna; run it on several machines to share a study", _explore_args, _explore),
    workshop.COMMAND,
    class_view.COMMAND,
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="yolo-training", description="The yolo-training course, step by step.")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one ``yolo-training`` command; a student's error is one line on stderr, not a traceback.

    Args:
        argv: the arguments (default: the command line's).

    Returns:
        The exit code: 0 done, 1 a status that is "no" (``label status``), 2 an error, 130 interrupted.

    Examples:
        >>> main(["doctor"])  # doctest: +SKIP
        0
    """
    args = _parser().parse_args(argv)
    from .core.errors import YoloTrainingError

    try:
        return _dispatch(args)
    except YoloTrainingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


def _dispatch(args) -> int:
    command = next(c for c in COMMANDS if c.name == args.command)
    return command.run(args, _root())


if __name__ == "__main__":
    raise SystemExit(main())
