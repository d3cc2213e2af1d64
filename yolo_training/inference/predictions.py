"""Using a trained model: predictions on images, folders, videos or a webcam; export to ONNX; the model registry.

:func:`predict` returns every detection as a DataFrame row and, when asked (``save=True`` or
``out=``), draws the boxes (or masks, or the class) with names and confidences into annotated
images or a video. It runs on every CPU core (Ultralytics alone uses one on a 2-core laptop) and
keeps the models it loaded, so calling it in a loop costs no more than a plain Ultralytics loop.
:func:`export` writes an ONNX file and checks that it gives the same results as the ``.pt``
(:func:`compare_detections`). :func:`yolo_training.list_models` lists the project's trained models.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import env
from ..core.common import COMMON_IMAGE_SUFFIXES, COMMON_VIDEO_SUFFIXES, in_notebook, is_image, is_video, list_images, open_camera
from ..core.errors import ModelNameError, OutputExistsError, SourceError, YoloTrainingError
from ..core.devices import pick_device, use_all_cores
from ..training.runs import Run, find_model

#: Detections table columns. Boxes are pixels of the original image; classification has no box.
COLUMNS = ["source", "frame", "class_id", "class", "confidence", "x1", "y1", "x2", "y2"]
#: At most this many frames are read from a camera unless ``max_frames`` says otherwise.
CAMERA_FRAMES = 300
PREDICT_MARKER = ".yolo-training-predict"
#: How many loaded models :func:`predict` keeps (the least recently used one goes first).
MODELS_KEPT = 4


# ---------------------------------------------------------------------------------------------
# Models: the registry and loading


def _model_path(model) -> Path:
    if isinstance(model, Run):
        return model.weights
    path = Path(str(model)).expanduser()
    if path.is_dir() and (path / "weights").is_dir():
        return Run.from_dir(path).weights
    if path.is_file():
        return path
    if path.suffix in (".pt", ".onnx"):
        raise ModelNameError(f"There is no model file {path.resolve()}. yolo_training.list_models() shows the trained ones.")
    return find_model(str(model))


def load_model(model):
    """An Ultralytics ``YOLO`` for a trained model, freshly loaded.

    :func:`predict` keeps the models it loads; this function always reads the file, so the
    ``YOLO`` it returns can be changed (trained, fused) without affecting anything else.

    Args:
        model: a ``.pt`` or ``.onnx`` file, a :class:`Run`, a run folder, a run name from
            :func:`~yolo_training.list_models`, or a ``YOLO`` (returned as is).

    Returns:
        The ``ultralytics.YOLO``.

    Raises:
        ModelNameError: no such model, or the file is not a YOLO checkpoint.

    Examples:
        >>> yolo = load_model("runs/detect/train/weights/best.pt")  # doctest: +SKIP
        >>> yolo.names  # doctest: +SKIP
        {0: '10 euro', 1: '5 euro'}
    """
    from ultralytics import YOLO

    if isinstance(model, YOLO):
        return model
    path = _model_path(model)
    if path.suffix not in (".pt", ".onnx"):
        raise ModelNameError(f"{path} is not a model: use a .pt checkpoint (runs/.../weights/best.pt) or an exported .onnx file.")
    if path.suffix == ".onnx":
        try:
            import onnxruntime  # noqa: F401
        except ImportError as err:
            raise YoloTrainingError("Running .onnx models needs onnxruntime: pip install 'yolo-training[onnx]'.") from err
        meta = _onnx_metadata(path)
        return YOLO(str(path), task=meta.get("task", "detect"))
    try:
        return YOLO(str(path))
    except Exception as err:  # torch raises many types for a file that is not a checkpoint
        raise ModelNameError(
            f"{path} is not a YOLO checkpoint that can be loaded ({type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}). "
            "Use the best.pt of a training run; a file copied incompletely or renamed to .pt does not work."
        ) from err


def _onnx_metadata(path: Path) -> dict:
    try:
        import onnx

        meta = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
        return {"task": meta["task"]} if meta.get("task") else {}
    except Exception:  # metadata is optional; Ultralytics guesses the task without it
        return {}


# Models predict() loaded, by (resolved path, modification time): a loop of calls loads each file
# once, and a file written again (last.pt during training, a new export) is loaded again.
_loaded: OrderedDict[tuple[str, int], object] = OrderedDict()
_loaded_lock = threading.Lock()


def _kept_model(model):
    """The ``YOLO`` for ``model``, loaded once per version of its file (see :data:`MODELS_KEPT`)."""
    from ultralytics import YOLO

    if isinstance(model, YOLO):
        return model
    path = _model_path(model).resolve()
    key = (str(path), path.stat().st_mtime_ns)
    with _loaded_lock:
        if key in _loaded:
            _loaded.move_to_end(key)
            return _loaded[key]
    yolo = load_model(path)
    with _loaded_lock:
        for older in [k for k in _loaded if k[0] == key[0]]:  # an earlier version of the same file
            del _loaded[older]
        _loaded[key] = yolo
        while len(_loaded) > MODELS_KEPT:
            _loaded.popitem(last=False)
    return yolo


# ---------------------------------------------------------------------------------------------
# Prediction


@dataclass
class Prediction:
    """What :func:`predict` did: every detection, the annotated files, and the speed.

    Examples:
        >>> result = predict("course", "photos/")  # doctest: +SKIP
        >>> result.detections.head(), result.fps  # doctest: +SKIP
    """

    detections: pd.DataFrame
    outputs: list[Path] = field(default_factory=list)
    frames: int = 0
    seconds: float = 0.0
    source: str = ""

    @property
    def fps(self) -> float:
        """Frames (images) per second, model and drawing included."""
        return self.frames / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        where = f"; annotated output in {self.outputs[0].parent}" if self.outputs else ""
        per_class = self.detections["class"].value_counts().to_dict() if len(self.detections) else {}
        counts = ", ".join(f"{k}: {v}" for k, v in per_class.items()) or "nothing"
        return (f"{self.frames} image(s)/frame(s) from {self.source}: {len(self.detections)} detection(s) ({counts}); "
                f"{self.fps:.1f} frames per second{where}")

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return f"Prediction({self.summary()})"

    def _repr_html_(self) -> str:
        from html import escape

        return f"<p>{escape(self.summary())}</p>" + self.detections.head(20).to_html(index=False)


def _rows(result, source: str, frame: int) -> list[dict]:
    names = result.names
    if result.boxes is not None:
        b = result.boxes
        return [
            dict(source=source, frame=frame, class_id=int(c), **{"class": names[int(c)]}, confidence=float(p),
                 x1=box[0], y1=box[1], x2=box[2], y2=box[3])
            for c, p, box in zip(b.cls.tolist(), b.conf.tolist(), b.xyxy.tolist())
        ]
    if result.probs is not None:
        c = int(result.probs.top1)
        return [dict(source=source, frame=frame, class_id=c, **{"class": names[c]}, confidence=float(result.probs.top1conf),
                     x1=np.nan, y1=np.nan, x2=np.nan, y2=np.nan)]
    return []


_DTYPES = dict(source=str, frame="int64", class_id="int64", confidence="float64", x1="float64", y1="float64", x2="float64", y2="float64")


def _table(rows: list[dict]) -> pd.DataFrame:
    # built column by column with final types: DataFrame(rows).astype(...) cost 4 ms an image, a fifth of a 320 px prediction
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=_DTYPES.get(c, str)) for c in COLUMNS})


def _output_folder(out: str | Path | None, stem: str) -> Path:
    if out is None:
        base = env.runs_dir() / "predict" / stem
        folder, n = base, 1
        while folder.exists():
            n += 1
            folder = base.with_name(f"{stem}{n}")
    else:
        folder = Path(out).expanduser().resolve()
        if folder.exists() and any(folder.iterdir()) and not (folder / PREDICT_MARKER).is_file():
            raise OutputExistsError(
                f"{folder} already holds files that predict() did not write; choose another out= folder (they are never replaced)."
            )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PREDICT_MARKER).write_text("Written by yolo_training.predict; may be replaced.\n", encoding="utf-8")
    return folder


def _classify_source(source) -> tuple[str, object]:
    """("camera", index) | ("video", path) | ("images", [paths])."""
    if isinstance(source, bool):
        raise SourceError(f"source={source!r} is not an image, folder, video or camera number.")
    if isinstance(source, int) or (isinstance(source, str) and (source.isdigit() or source.lower() in ("webcam", "camera"))):
        return "camera", int(source) if str(source).isdigit() else 0
    if isinstance(source, (list, tuple)):
        paths = [Path(p) for p in source]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing or not paths:
            raise SourceError(f"Image(s) not found: {', '.join(missing[:5]) or 'the list is empty'}.")
        return "images", paths
    path = Path(str(source)).expanduser()
    if path.is_dir():
        images = list_images(path)
        if not images:
            raise SourceError(
                f"The folder {path.resolve()} holds no images ({', '.join(COMMON_IMAGE_SUFFIXES)}, ...). "
                "Point to the folder with the photos (not its parent)."
            )
        return "images", images
    if not path.is_file():
        raise SourceError(f"There is no file or folder {path.resolve()}.")
    if is_video(path):
        return "video", path
    if is_image(path):
        return "images", [path]
    raise SourceError(
        f"{path} is neither an image ({', '.join(COMMON_IMAGE_SUFFIXES)}, ...) nor a video ({', '.join(COMMON_VIDEO_SUFFIXES)}, ...)."
    )


def predict(
    model,
    source,
    conf: float = 0.25,
    imgsz: int | None = None,
    out: str | Path | None = None,
    save: bool | None = None,
    fallback: str | Path | None = None,
    max_frames: int | None = None,
    show: bool = True,
) -> Prediction:
    """Run a trained model on an image, a list of images, a folder, a video file or a webcam.

    The model is loaded once and kept (until its file changes), so calling ``predict`` in a loop
    over images costs no more than a plain Ultralytics loop. When there is no camera, a message
    says so and ``fallback`` (a video file) is used instead.

    Args:
        model: a ``.pt``/``.onnx`` path, a :class:`Run`, a run folder, a name from :func:`~yolo_training.list_models`,
            or an Ultralytics ``YOLO``.
        source: an image, a list of images, a folder, a video file, or a camera number (``0``, ``"webcam"``).
        conf: the lowest confidence kept.
        imgsz: the image size to predict at (default: the size the model was trained at).
        out: the folder for annotated images or the annotated ``.mp4`` (default ``runs/predict/<name>``).
        save: write annotated files; by default only when ``out`` is given.
        fallback: a video to use when the camera is missing.
        max_frames: at most this many images or frames (a camera stops after :data:`CAMERA_FRAMES`).
        show: print the summary and, in a notebook, show the annotated files.

    Returns:
        A :class:`Prediction`: every detection (source, frame, class, confidence, box in pixels),
        the annotated files, and the frames per second.

    Raises:
        SourceError: the source cannot be read, or there is no camera and no ``fallback``.
        ModelNameError: the model cannot be found or loaded.

    Examples:
        >>> result = predict(run, "photos/", save=True)  # doctest: +SKIP
        >>> result.detections.groupby("class").size()  # doctest: +SKIP
        >>> for photo in photos:  # the model stays loaded between calls  # doctest: +SKIP
        ...     boxes = predict(run, photo, show=False).detections
    """
    kind, what = _open_source(source, fallback)
    yolo = _kept_model(model)
    device = pick_device("auto")
    if device in ("cpu", "mps"):
        use_all_cores()
    imgsz = imgsz or yolo.overrides.get("imgsz")  # always given: a kept model must not keep the last call's size
    options = dict(conf=conf, device=device, verbose=False, **({"imgsz": imgsz} if imgsz else {}))
    save = out is not None if save is None else save
    if kind == "images":
        result = _predict_images(yolo, what, options, out, save, max_frames)
    else:
        result = _predict_stream(yolo, kind, what, options, out, save, max_frames)
    if show:
        print(result.summary())
        _show(result)
    return result


def _open_source(source, fallback) -> tuple[str, object]:
    """What :func:`_classify_source` says, with a missing camera replaced by the ``fallback`` video."""
    kind, what = _classify_source(source)
    if kind != "camera":
        return kind, what
    capture = open_camera(what)
    if capture is not None:
        capture.release()
        return kind, what
    message = f"No camera {what} on this machine (or it is in use by another program)"
    if fallback is None:
        raise SourceError(f"{message}. Pass fallback='a_video.mp4' to use a video file instead, or source='photos/'.")
    print(f"{message}: using the video {fallback} instead.")
    kind, what = _classify_source(fallback)
    if kind != "video":
        raise SourceError(f"fallback={fallback!r} must be a video file.")
    return kind, what


def _predict_images(yolo, images: list[Path], options: dict, out, save: bool, max_frames: int | None) -> Prediction:
    import cv2

    images = images[:max_frames] if max_frames else images
    folder = _output_folder(out, images[0].parent.name or "images") if save else None
    rows, outputs, seconds = [], [], 0.0
    for image in images:
        start = time.perf_counter()
        try:
            results = yolo.predict(str(image), **options)
        except (FileNotFoundError, OSError) as err:
            raise SourceError(f"{image} cannot be read as an image ({err}).") from err
        seconds += time.perf_counter() - start
        for r in results:
            rows += _rows(r, image.name, 0)
            if folder is not None:
                target = folder / f"{image.stem}.jpg"
                cv2.imwrite(str(target), r.plot())
                outputs.append(target)
    return Prediction(_table(rows), outputs, len(images), seconds, str(images[0].parent))


def _predict_stream(yolo, kind: str, what, options: dict, out, save: bool, max_frames: int | None) -> Prediction:
    import cv2

    capture = cv2.VideoCapture(what if kind == "camera" else str(what))
    if not capture.isOpened():
        raise SourceError(
            f"The video {what} cannot be opened: the file is damaged or its codec is not supported by OpenCV. "
            "Convert it to .mp4 (H.264) or .avi and try again."
        )
    limit = max_frames or (CAMERA_FRAMES if kind == "camera" else None)
    source_name = f"camera {what}" if kind == "camera" else Path(what).name
    fps_in = capture.get(cv2.CAP_PROP_FPS) or 25.0
    writer, target, rows, frames = None, None, [], 0
    folder = _output_folder(None if kind == "camera" and out is None else out, "camera" if kind == "camera" else Path(what).stem) if save else None
    start = time.perf_counter()
    try:
        while limit is None or frames < limit:
            ok, frame = capture.read()
            if not ok:
                break
            result = yolo.predict(frame, **options)[0]
            rows += _rows(result, source_name, frames)
            if folder is not None:
                drawn = result.plot()
                if writer is None:
                    target = folder / f"{'camera' if kind == 'camera' else Path(what).stem}.mp4"
                    height, width = drawn.shape[:2]
                    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), fps_in if fps_in > 0 else 25.0, (width, height))
                writer.write(drawn)
            frames += 1
    finally:
        capture.release()
        if writer is not None:
            writer.release()
    seconds = time.perf_counter() - start
    if frames == 0:
        raise SourceError(f"No frame could be read from {source_name}: the video is empty or damaged.")
    return Prediction(_table(rows), [target] if target else [], frames, seconds, source_name)


def _show(result: Prediction, limit: int = 6) -> None:
    if not in_notebook() or not result.outputs:
        return
    from IPython.display import Image, Video, display

    for path in result.outputs[:limit]:
        display(Video(str(path), embed=True) if path.suffix == ".mp4" else Image(filename=str(path)))
    if len(result.outputs) > limit:
        print(f"... and {len(result.outputs) - limit} more in {result.outputs[0].parent}")


# ---------------------------------------------------------------------------------------------
# Export


@dataclass
class DetectionComparison:
    """How two sets of detections of the same images agree (see :func:`compare_detections`).

    Examples:
        >>> same = yt.compare_detections(yt.predict(run, "photos/"), yt.predict(exported, "photos/"))  # doctest: +SKIP
        >>> same.same, same.worst_iou  # doctest: +SKIP
        (True, 0.998)
    """

    matched: int  # pairs: same image, same class, boxes overlapping, confidences close
    only_first: int  # confident detections of the first set without a partner in the second
    only_second: int  # and the other way round
    borderline: int  # detections without a partner whose confidence is at the threshold: may fall either side
    worst_iou: float  # the least overlap of a matched pair (1.0 when nothing was matched)
    worst_confidence_difference: float  # the largest confidence difference of a matched pair

    @property
    def same(self) -> bool:
        """True when every confident detection of each set has its partner in the other."""
        return self.only_first == 0 and self.only_second == 0

    def __str__(self) -> str:
        text = (f"{self.matched} matched (IoU >= {self.worst_iou:.3f}, confidences within {self.worst_confidence_difference:.3f}), "
                f"{self.only_first} only in the first, {self.only_second} only in the second")
        return text + (f", {self.borderline} at the confidence threshold" if self.borderline else "")


def compare_detections(
    first: pd.DataFrame, second: pd.DataFrame, iou: float = 0.9, conf_tolerance: float = 0.02, conf: float = 0.25
) -> DetectionComparison:
    """Match the detections of two predictions on the same images, as two runtimes legitimately differ.

    Two detections are partners when they are on the same image (and frame), of the same class,
    their boxes overlap by at least ``iou`` and their confidences differ by at most
    ``conf_tolerance``. Order does not matter (two boxes of nearly equal confidence may swap).
    A detection without a partner counts against the agreement unless its confidence is within
    ``conf_tolerance`` of the threshold ``conf``: then the other runtime may have put it just below.

    Args:
        first: :attr:`Prediction.detections` of one model (e.g. the ``.pt``).
        second: the detections of the other (e.g. its ONNX export) on the same images.
        iou: the least overlap (intersection over union) of partner boxes.
        conf_tolerance: the largest confidence difference of partners.
        conf: the confidence threshold both predictions used.

    Returns:
        A :class:`DetectionComparison`; its ``same`` says whether they agree.

    Examples:
        >>> a = predict("best.pt", photos, save=False, show=False).detections  # doctest: +SKIP
        >>> b = predict("best.onnx", photos, save=False, show=False).detections  # doctest: +SKIP
        >>> compare_detections(a, b).same  # doctest: +SKIP
        True
    """
    matched, pair_ious, pair_diffs, unmatched = 0, [], [], ([], [])
    keys = pd.concat([first[["source", "frame"]], second[["source", "frame"]]]).drop_duplicates()
    for source, frame in keys.itertuples(index=False):
        a = first[(first["source"] == source) & (first["frame"] == frame)]
        b = second[(second["source"] == source) & (second["frame"] == frame)]
        pairs, left_a, left_b = _match_one_image(a, b, iou, conf_tolerance)
        matched += len(pairs)
        pair_ious += [p[0] for p in pairs]
        pair_diffs += [p[1] for p in pairs]
        unmatched[0].extend(left_a)
        unmatched[1].extend(left_b)
    at_threshold = [[c for c in side if c < conf + conf_tolerance] for side in unmatched]
    return DetectionComparison(
        matched=matched,
        only_first=len(unmatched[0]) - len(at_threshold[0]),
        only_second=len(unmatched[1]) - len(at_threshold[1]),
        borderline=len(at_threshold[0]) + len(at_threshold[1]),
        worst_iou=min(pair_ious, default=1.0),
        worst_confidence_difference=max(pair_diffs, default=0.0),
    )


def _match_one_image(a: pd.DataFrame, b: pd.DataFrame, iou: float, conf_tolerance: float):
    """Greedy matching, best overlap first: ([(iou, confidence difference)], unmatched confidences of a, of b)."""
    import torch
    from ultralytics.utils.metrics import box_iou

    corners = ["x1", "y1", "x2", "y2"]
    box_a, box_b = a[corners].to_numpy(float), b[corners].to_numpy(float)
    overlaps = np.ones((len(a), len(b)))  # classification: no boxes, the image is the box
    if len(a) and len(b) and not (np.isnan(box_a).any() or np.isnan(box_b).any()):
        overlaps = box_iou(torch.tensor(box_a), torch.tensor(box_b)).numpy()
    conf_a, conf_b = a["confidence"].to_numpy(float), b["confidence"].to_numpy(float)
    diffs = np.abs(conf_a[:, None] - conf_b[None, :])
    fits = (a["class_id"].to_numpy()[:, None] == b["class_id"].to_numpy()[None, :]) & (overlaps >= iou) & (diffs <= conf_tolerance)
    pairs, used_a, used_b = [], set(), set()
    for i, j in sorted(zip(*np.nonzero(fits)), key=lambda ij: -overlaps[ij]):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((float(overlaps[i, j]), float(diffs[i, j])))
    left_a = [float(c) for i, c in enumerate(conf_a) if i not in used_a]
    left_b = [float(c) for j, c in enumerate(conf_b) if j not in used_b]
    return pairs, left_a, left_b


@dataclass
class Export:
    """An exported model and how closely it agrees with the ``.pt`` it came from.

    Examples:
        >>> exported = export("course")  # doctest: +SKIP
        >>> exported.path, exported.same_detections  # doctest: +SKIP
    """

    path: Path
    max_difference: float  # largest absolute difference of the raw outputs on the same input
    scale: float  # largest absolute raw output, for comparison
    same_detections: bool
    detail: str
    detections: DetectionComparison | None = None

    def __str__(self) -> str:
        return f"Exported {self.path}\n  {self.detail}"


def export(
    model,
    format: str = "onnx",
    imgsz: int | None = None,
    images: list[str | Path] | None = None,
    tolerance: float = 1e-3,
    verbose: bool = False,
    iou: float = 0.9,
    conf_tolerance: float = 0.02,
    conf: float = 0.25,
) -> Export:
    """Export a trained model to ONNX and check it gives the same results as the ``.pt``.

    Two checks, both allowing what ONNX Runtime legitimately differs by (the order of floating
    point operations): the raw outputs on one random input, each output channel (box coordinates,
    class scores) within ``tolerance`` of its own scale (at least 1); and the detections on
    ``images``, matched with :func:`compare_detections`. Needs the ``onnx`` extra:
    ``pip install 'yolo-training[onnx]'``.

    Args:
        model: a ``.pt`` path, a :class:`Run`, a run folder or a run name.
        format: ``"onnx"`` (the only format checked here).
        imgsz: the input size of the export (default: the size the model was trained at).
        images: images to compare detections on (default: two generated sample images).
        tolerance: the relative difference allowed in the raw outputs.
        verbose: show Ultralytics' export output.
        iou: the least overlap of matched boxes.
        conf_tolerance: the largest confidence difference of matched detections.
        conf: the confidence threshold of the predictions compared (lower it to compare more boxes).

    Returns:
        An :class:`Export`: the ``.onnx`` path and how closely it agrees.

    Raises:
        YoloTrainingError: onnx is not installed, the export failed, or it does not give the same results.

    Examples:
        >>> exported = export(run)  # doctest: +SKIP
        >>> predict(exported.path, "photos/", show=False)  # doctest: +SKIP
    """
    if format != "onnx":
        raise YoloTrainingError(f"format={format!r}: only 'onnx' is checked here; use YOLO(...).export(format=...) directly for others.")
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as err:
        raise YoloTrainingError("Exporting to ONNX needs onnx and onnxruntime: pip install 'yolo-training[onnx]'.") from err
    source = _model_path(model)
    yolo = load_model(source)
    imgsz = imgsz or int(yolo.overrides.get("imgsz", 640) or 640)
    use_all_cores()
    try:
        path = Path(yolo.export(format="onnx", imgsz=imgsz, device="cpu", verbose=verbose))
    except Exception as err:
        raise YoloTrainingError(f"Exporting {source} to ONNX failed: {err}") from err
    difference, scale, raw_ok = _compare_raw_outputs(source, path, imgsz, tolerance)
    first, second, n_images = _detections_of_both(source, path, images, imgsz, conf)
    comparison = compare_detections(first, second, iou=iou, conf_tolerance=conf_tolerance, conf=conf)
    detail = (f"raw outputs: largest difference {difference:.2e} (outputs up to {scale:.1f}), "
              f"{'within' if raw_ok else 'BEYOND'} {tolerance:g} of each output's scale; "
              f"detections on {n_images} image(s): {len(first)} from .pt, {len(second)} from ONNX, "
              f"{'the same' if comparison.same else 'DIFFERENT'}: {comparison}")
    if not raw_ok or not comparison.same:
        raise YoloTrainingError(f"The ONNX model {path} does not give the same results as {source}: {detail}.")
    return Export(path=path, max_difference=difference, scale=scale, same_detections=comparison.same, detail=detail,
                  detections=comparison)


def _compare_raw_outputs(source: Path, onnx_path: Path, imgsz: int, tolerance: float) -> tuple[float, float, bool]:
    """Largest difference, largest output, and whether each output channel agrees within ``tolerance`` of its scale."""
    import onnxruntime as ort
    import torch

    torch_model = load_model(source).model.float().eval()
    x = torch.rand(1, 3, imgsz, imgsz, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = _raw_output(torch_model(x)).numpy()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    if got.shape != expected.shape:
        raise YoloTrainingError(f"The exported model's output has shape {got.shape}, the .pt's {expected.shape}: the export is wrong.")
    difference = np.abs(got - expected)
    # Each channel (box coordinates in pixels, class scores from 0 to 1, ...) at its own scale, at least 1.
    others = tuple(i for i in range(expected.ndim) if i != 1)
    channel_scale = np.maximum(np.abs(expected).max(axis=others, keepdims=True), 1.0) if expected.ndim > 1 else 1.0
    ok = bool((difference <= tolerance * channel_scale).all())
    return float(difference.max()), float(np.abs(expected).max()) or 1.0, ok


def _raw_output(output):
    while isinstance(output, (list, tuple)):
        output = output[0]
    return output


def _detections_of_both(source: Path, onnx_path: Path, images, imgsz: int, conf: float) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The detections of the ``.pt`` and of its export on ``images`` (default: two generated sample images).

    Ultralytics letterboxes a photo to the smallest rectangle for a ``.pt`` but to the full square
    for a fixed-size ONNX model: the ``.pt`` is given the same square input here, so what is
    compared is the two runtimes, not two different inputs.
    """
    import tempfile

    options = dict(conf=conf, imgsz=imgsz, device="cpu", verbose=False)
    with tempfile.TemporaryDirectory(prefix="yt-export-") as tmp:
        if images is None:
            from ..data.sample import generate_sample

            images = list_images(generate_sample(Path(tmp) / "export", n_images=2, seed=1) / "images")
        images = [Path(p) for p in images]
        first = _predict_images(_kept_model(source), images, {**options, "rect": False}, None, False, None).detections
        second = _predict_images(_kept_model(onnx_path), images, options, None, False, None).detections
    return first, second, len(images)
