"""yolo-training: from photos of objects to a trained, understood YOLO model.

``import yolo_training`` first prepares the environment for Ultralytics (project config folder,
offline mode, plot font, no auto-install; see :mod:`yolo_training.core.env`), then imports it. Import
this package before ``ultralytics`` in a notebook.
"""

from .core import env

env.setup()

import ultralytics  # noqa: E402, F401  (must come after env.setup)

env.configure_ultralytics()

from .core.errors import (  # noqa: E402
    ClassError,
    ConfigError,
    DatasetError,
    DeviceError,
    DiskSpaceError,
    LabelStudioError,
    ModelNameError,
    NotGeneratedError,
    OutputExistsError,
    ResultsError,
    SourceError,
    YoloTrainingError,
)
from .data.acquire import (  # noqa: E402
    Acquired,
    CleaningReport,
    capture_webcam,
    clean_images,
    extract_frames,
    import_photos,
    make_demo_video,
    show_images,
    video_info,
)
from .annotate.editor import BoxEditor, box_editor  # noqa: E402
from .annotate.client import (  # noqa: E402
    LabelingProject,
    LabelStudio,
    connect,
    create_labeling_project,
    get_labeling_project,
    import_images,
)
from .annotate.pull import pull_export  # noqa: E402
from .annotate.server import (  # noqa: E402
    free_port,
    install_label_studio,
    label_studio_installed,
    label_studio_status,
    start_label_studio,
    stop_label_studio,
)
from .inference.prelabel import accept_predictions, preannotate  # noqa: E402
from .core.common import safe_extract  # noqa: E402
from .data.convert import ImportResult, import_export  # noqa: E402
from .data.formats.recognition import recognise  # noqa: E402
from .data.inspection import DatasetReport, inspect_dataset  # noqa: E402
from .data.labels import read_class_names  # noqa: E402
from .data.layout import export_split_files  # noqa: E402
from .data.merge import merge_exports, select_classes  # noqa: E402
from .course.student import student_version  # noqa: E402
from .course.chapters import Chapter, course_budgets, start_chapter  # noqa: E402
from .classroom.checkup import doctor  # noqa: E402
from .core.env import project_root  # noqa: E402
from .search.study import best_trial, explore, plot_study, study_results, train_best  # noqa: E402
from .search.space import Space, check_space, default_space, read_space  # noqa: E402
from .inference.predictions import Export, Prediction, compare_detections, export, load_model, predict  # noqa: E402
from .results.diagnosis import Diagnosis, Finding, compare_runs, diagnose  # noqa: E402
from .results.metrics import MetricsExplanation, explain_metrics  # noqa: E402
from .results.plots import plot_confusion_matrix, plot_paths, plot_predictions, plot_training, show_results  # noqa: E402
from .results.validation import confusion_matrix, validate  # noqa: E402
from .data.sample import generate_sample  # noqa: E402
from .data.config import load_config, write_config  # noqa: E402
from .data.split import SplitResult, split_dataset  # noqa: E402
from .core.devices import available_devices, pick_device, use_all_cores  # noqa: E402
from .training.estimate import estimate_training_time  # noqa: E402
from .training.models import ModelChoice, cached_weights, fetch_weights, model_names, resolve_model  # noqa: E402
from .training.runs import Run, delete_run, find_model, find_run, list_models, list_runs, load_results  # noqa: E402
from .training.fit import continue_training, resume, train  # noqa: E402
from .training.panel import training_panel  # noqa: E402
from .course.student import course_weights  # noqa: E402
from .classroom.preflight import readiness, speed_probe  # noqa: E402
from .classroom.workshop import PackReport, archive_pack, pack  # noqa: E402
from .classroom.class_view import check_in, class_runs, class_status, join_class, leave_class, plot_class, report_run  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "ClassError",
    "DiskSpaceError",
    "PackReport",
    "check_in",
    "class_runs",
    "class_status",
    "course_weights",
    "join_class",
    "leave_class",
    "pack",
    "plot_class",
    "readiness",
    "report_run",
    "speed_probe",
    "BoxEditor",
    "export_split_files",
    "select_classes",
    "safe_extract",
    "merge_exports",
    "import_export",
    "recognise",
    "ImportResult",
    "LabelStudio",
    "LabelStudioError",
    "LabelingProject",
    "accept_predictions",
    "box_editor",
    "connect",
    "create_labeling_project",
    "get_labeling_project",
    "import_images",
    "free_port",
    "install_label_studio",
    "label_studio_installed",
    "label_studio_status",
    "preannotate",
    "pull_export",
    "start_label_studio",
    "stop_label_studio",
    "Acquired",
    "CleaningReport",
    "capture_webcam",
    "clean_images",
    "extract_frames",
    "import_photos",
    "make_demo_video",
    "show_images",
    "student_version",
    "Chapter",
    "course_budgets",
    "start_chapter",
    "video_info",
    "ConfigError",
    "DatasetError",
    "DatasetReport",
    "DeviceError",
    "ModelChoice",
    "ModelNameError",
    "NotGeneratedError",
    "OutputExistsError",
    "Run",
    "SplitResult",
    "YoloTrainingError",
    "archive_pack",
    "available_devices",
    "best_trial",
    "cached_weights",
    "check_space",
    "default_space",
    "read_space",
    "Space",
    "explore",
    "fetch_weights",
    "generate_sample",
    "inspect_dataset",
    "load_config",
    "model_names",
    "pick_device",
    "plot_paths",
    "plot_study",
    "project_root",
    "read_class_names",
    "resolve_model",
    "resume",
    "training_panel",
    "list_runs",
    "find_run",
    "estimate_training_time",
    "delete_run",
    "continue_training",
    "show_results",
    "split_dataset",
    "study_results",
    "train",
    "train_best",
    "use_all_cores",
    "write_config",
    "Diagnosis",
    "Export",
    "Finding",
    "MetricsExplanation",
    "Prediction",
    "ResultsError",
    "SourceError",
    "compare_detections",
    "compare_runs",
    "doctor",
    "confusion_matrix",
    "diagnose",
    "explain_metrics",
    "export",
    "find_model",
    "list_models",
    "load_model",
    "load_results",
    "plot_confusion_matrix",
    "plot_predictions",
    "plot_training",
    "predict",
    "validate",
]
