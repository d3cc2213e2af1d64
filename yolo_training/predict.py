"""Using a trained model: predictions on images, folders, videos or a webcam; export to ONNX; the model registry.

:func:`predict` draws the boxes (or masks, or the class) with names and confidences, saves the
annotated images or video, and returns every detection as a DataFrame row. It runs on every CPU
core (Ultralytics alone uses one on a 2-core laptop). :func:`export` writes an ONNX file and checks
that it gives the same outputs as the ``.pt``. :func:`yolo_training.list_models` lists the project's trained models.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import env
from ._common import COMMON_IMAGE_SUFFIXES, COMMON_VIDEO_SUFFIXES, in_notebook, is_image, is_video, list_images, open_camera
from ._errors import ModelNameError, OutputExistsError, SourceError, YoloTrainingError
from .devices import pick_device, use_all_cores
from .runs import Run, find_model

#: Detections table columns. Boxes are pixels of the original image; classification has no box.
COLUMNS = ["source", "frame", "class_id", "class", "confidence", "x1", "y1", "x2", "y2"]
#: At most this many frames are read from a camera unless ``max_frames`` says otherwise.
CAMERA_FRAMES = 300
PREDICT_MARKER = ".yolo-training-predict"


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
    """An Ultralytics ``YOLO`` for a ``.pt`` or ``.onnx`` file, a :class:`Run`, a run folder or a run name."""
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


# ---------------------------------------------------------------------------------------------
# Prediction


@dataclass
class Prediction:
    """What :func:`predict` did: every detection, the annotated files, and the speed."""

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
    save: bool = True,
    fallback: str | Path | None = None,
    max_frames: int | None = None,
    show: bool = True,
) -> Prediction:
    """Run a trained model on an image, a list of images, a folder, a video file or a webcam.

    ``model``: a ``.pt``/``.onnx`` path, a :class:`Run`, a run folder or a name from
    :func:`list_models`. ``source``: a path, a list of paths, or a camera number (``0``, ``"webcam"``).
    When there is no camera, a message says so and ``fallback`` (a video file) is used instead.
    Annotated images or an annotated ``.mp4`` go to ``out`` (default ``runs/predict/<name>``) when
    ``save``. ``imgsz`` defaults to the size the model was trained at. Returns a :class:`Prediction`
    with every detection (source, frame, class, confidence, box in pixels) and the frames per second.
    """
    kind, what = _classify_source(source)
    if kind == "camera":
        capture = open_camera(what)
        if capture is None:
            message = f"No camera {what} on this machine (or it is in use by another program)"
            if fallback is None:
                raise SourceError(f"{message}. Pass fallback='a_video.mp4' to use a video file instead, or source='photos/'.")
            print(f"{message}: using the video {fallback} instead.")
            kind, what = _classify_source(fallback)
            if kind != "video":
                raise SourceError(f"fallback={fallback!r} must be a video file.")
        else:
            capture.release()
    yolo = load_model(model)
    device = pick_device("auto")
    if device in ("cpu", "mps"):
        use_all_cores()
    options = dict(conf=conf, device=device, verbose=False, **({"imgsz": imgsz} if imgsz else {}))
    if kind == "images":
        result = _predict_images(yolo, what, options, out, save, max_frames)
    else:
        result = _predict_stream(yolo, kind, what, options, out, save, max_frames)
    if show:
        print(result.summary())
        _show(result)
    return result


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
class Export:
    """An exported model and how closely it agrees with the ``.pt`` it came from."""

    path: Path
    max_difference: float  # largest absolute difference of the raw outputs on the same input
    scale: float  # largest absolute raw output, for comparison
    same_detections: bool
    detail: str

    def __str__(self) -> str:
        return f"Exported {self.path}\n  {self.detail}"


def _raw_output(output):
    while isinstance(output, (list, tuple)):
        output = output[0]
    return output


def export(model, format: str = "onnx", imgsz: int | None = None, images: list[str | Path] | None = None,
           tolerance: float = 1e-3, verbose: bool = False) -> Export:
    """Export a trained model (ONNX by default) and check it gives the same results as the ``.pt``.

    Compares the raw outputs on one image (relative difference below ``tolerance``) and the
    detections on ``images`` (default: a generated sample image). Needs the ``onnx`` extra:
    ``pip install 'yolo-training[onnx]'``.
    """
    import torch

    if format != "onnx":
        raise YoloTrainingError(f"format={format!r}: only 'onnx' is checked here; use YOLO(...).export(format=...) directly for others.")
    try:
        import onnx  # noqa: F401
        import onnxruntime as ort
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

    reference = load_model(source)
    torch_model = reference.model.float().eval()
    x = torch.rand(1, 3, imgsz, imgsz, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = _raw_output(torch_model(x)).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    if got.shape != expected.shape:
        raise YoloTrainingError(f"The exported model's output has shape {got.shape}, the .pt's {expected.shape}: the export is wrong.")
    difference = float(np.abs(got - expected).max())
    scale = float(np.abs(expected).max()) or 1.0

    if images is None:
        from .sample import generate_sample
        import tempfile

        sample = generate_sample(Path(tempfile.mkdtemp(prefix="yt-export-")) / "export", n_images=2, seed=1)
        images = sorted((sample / "images").iterdir())
    a = predict(source, list(images), save=False, show=False, imgsz=imgsz).detections
    b = predict(path, list(images), save=False, show=False, imgsz=imgsz).detections
    same = len(a) == len(b) and bool(
        (a["class_id"].to_numpy() == b["class_id"].to_numpy()).all()
        and np.allclose(a[["x1", "y1", "x2", "y2"]].to_numpy(float), b[["x1", "y1", "x2", "y2"]].to_numpy(float), atol=1.0)
        and np.allclose(a["confidence"].to_numpy(float), b["confidence"].to_numpy(float), atol=0.01)
    )
    detail = (f"raw outputs: largest difference {difference:.2e} (outputs up to {scale:.1f}); "
              f"detections on {len(images)} image(s): {len(a)} from .pt, {len(b)} from ONNX, "
              f"{'the same' if same else 'DIFFERENT'} (boxes within 1 px, confidences within 0.01)")
    if difference > tolerance * scale or not same:
        raise YoloTrainingError(f"The ONNX model {path} does not give the same results as {source}: {detail}.")
    return Export(path=path, max_difference=difference, scale=scale, same_detections=same, detail=detail)
