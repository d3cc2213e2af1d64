"""yolo-training: from photos of objects to a trained, understood YOLO model.

``import yolo_training`` first prepares the environment for Ultralytics (project config folder,
offline mode, plot font, no auto-install; see :mod:`yolo_training.core.env`), then imports it. Import
this package before ``ultralytics`` in a notebook.
"""

from .core import env

env.setup()

import ultralytics  # noqa: E402, F401  (must come after env.setup)

env.configure_ultralytics()


# Step 0: errors, project folders, devices, the environment
from .core.common import safe_extract  # noqa: E402
from .core.devices import available_devices, pick_device, use_all_cores  # noqa: E402
from .core.env import project_root  # noqa: E402
from .core.errors import (  # noqa: E402
    ArgumentError,
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
    WriteError,
    YoloTrainingError,
)
from .core.runtime import hosted, HostedRuntime  # noqa: E402

# Steps 1 and 3: photos in, datasets read and checked, split and config.yaml
from .data.acquire import (  # noqa: E402
    Acquired,
    capture_webcam,
    clean_images,
    CleaningReport,
    extract_frames,
    import_photos,
    make_demo_video,
    show_images,
    video_info,
)
from .data.config import load_config, write_config  # noqa: E402
from .data.convert import import_export, ImportResult  # noqa: E402
from .data.formats.cvat import read_cvat_tracks  # noqa: E402
from .data.formats.recognition import recognise  # noqa: E402
from .data.inspection import DatasetReport, inspect_dataset  # noqa: E402
from .data.labels import LabelProblem, read_class_names  # noqa: E402
from .data.layout import export_split_files  # noqa: E402
from .data.merge import merge_exports, select_classes  # noqa: E402
from .data.sample import generate_sample  # noqa: E402
from .data.split import split_dataset, SplitResult  # noqa: E402

# Step 2: Label Studio and the box editor
from .annotate.client import (  # noqa: E402
    connect,
    create_labeling_project,
    get_labeling_project,
    import_images,
    LabelingProject,
    LabelStudio,
)
from .annotate.editor import box_editor, BoxEditor  # noqa: E402
from .annotate.pull import pull_export, PullResult  # noqa: E402
from .annotate.server import (  # noqa: E402
    free_port,
    install_label_studio,
    label_studio_installed,
    label_studio_status,
    start_label_studio,
    stop_label_studio,
)

# Step 4: training
from .training.estimate import estimate_training_time  # noqa: E402
from .training.fit import continue_training, resume, train  # noqa: E402
from .training.models import cached_weights, fetch_weights, model_names, ModelChoice, resolve_model  # noqa: E402
from .training.panel import training_panel  # noqa: E402
from .training.runs import delete_run, find_model, find_run, list_models, list_runs, load_results, Run  # noqa: E402

# Step 5: reading a run
from .results.diagnosis import compare_runs, diagnose, Diagnosis, Finding  # noqa: E402
from .results.metrics import explain_metrics, MetricsExplanation  # noqa: E402
from .results.plots import (  # noqa: E402
    plot_confusion_matrix,
    plot_paths,
    plot_predictions,
    plot_training,
    show_results,
)
from .results.validation import confusion_matrix, validate  # noqa: E402

# Step 6: hyperparameter search
from .search.space import check_space, default_space, read_space, Space  # noqa: E402
from .search.study import best_trial, explore, plot_study, study_results, train_best  # noqa: E402

# Step 7: using the model
from .inference.predictions import (  # noqa: E402
    compare_detections,
    DetectionComparison,
    Export,
    export,
    load_model,
    predict,
    Prediction,
)
from .inference.prelabel import accept_predictions, preannotate, PreannotateResult  # noqa: E402

# The course
from .course.chapters import Chapter, course_budgets, start_chapter  # noqa: E402
from .course.demo import run_demo  # noqa: E402
from .course.student import course_weights, student_version  # noqa: E402

# For instructors
from .classroom.checkup import doctor  # noqa: E402
from .classroom.class_view import (  # noqa: E402
    check_in,
    class_runs,
    class_status,
    join_class,
    leave_class,
    plot_class,
    report_run,
)
from .classroom.preflight import readiness, speed_probe  # noqa: E402
from .classroom.workshop import archive_pack, pack, PackReport  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    # Step 0: errors, project folders, devices, the environment
    "ArgumentError",
    "available_devices",
    "ClassError",
    "ConfigError",
    "DatasetError",
    "DeviceError",
    "DiskSpaceError",
    "hosted",
    "HostedRuntime",
    "LabelStudioError",
    "ModelNameError",
    "NotGeneratedError",
    "OutputExistsError",
    "pick_device",
    "project_root",
    "ResultsError",
    "safe_extract",
    "SourceError",
    "use_all_cores",
    "WriteError",
    "YoloTrainingError",
    # Steps 1 and 3: photos in, datasets read and checked, split and config.yaml
    "Acquired",
    "capture_webcam",
    "clean_images",
    "CleaningReport",
    "DatasetReport",
    "export_split_files",
    "extract_frames",
    "generate_sample",
    "import_export",
    "import_photos",
    "ImportResult",
    "inspect_dataset",
    "LabelProblem",
    "load_config",
    "make_demo_video",
    "merge_exports",
    "read_class_names",
    "read_cvat_tracks",
    "recognise",
    "select_classes",
    "show_images",
    "split_dataset",
    "SplitResult",
    "video_info",
    "write_config",
    # Step 2: Label Studio and the box editor
    "box_editor",
    "BoxEditor",
    "connect",
    "create_labeling_project",
    "free_port",
    "get_labeling_project",
    "import_images",
    "install_label_studio",
    "label_studio_installed",
    "label_studio_status",
    "LabelingProject",
    "LabelStudio",
    "pull_export",
    "PullResult",
    "start_label_studio",
    "stop_label_studio",
    # Step 4: training
    "cached_weights",
    "continue_training",
    "delete_run",
    "estimate_training_time",
    "fetch_weights",
    "find_model",
    "find_run",
    "list_models",
    "list_runs",
    "load_results",
    "model_names",
    "ModelChoice",
    "resolve_model",
    "resume",
    "Run",
    "train",
    "training_panel",
    # Step 5: reading a run
    "compare_runs",
    "confusion_matrix",
    "diagnose",
    "Diagnosis",
    "explain_metrics",
    "Finding",
    "MetricsExplanation",
    "plot_confusion_matrix",
    "plot_paths",
    "plot_predictions",
    "plot_training",
    "show_results",
    "validate",
    # Step 6: hyperparameter search
    "best_trial",
    "check_space",
    "default_space",
    "explore",
    "plot_study",
    "read_space",
    "Space",
    "study_results",
    "train_best",
    # Step 7: using the model
    "accept_predictions",
    "compare_detections",
    "DetectionComparison",
    "Export",
    "export",
    "load_model",
    "preannotate",
    "PreannotateResult",
    "predict",
    "Prediction",
    # The course
    "Chapter",
    "course_budgets",
    "course_weights",
    "run_demo",
    "start_chapter",
    "student_version",
    # For instructors
    "archive_pack",
    "check_in",
    "class_runs",
    "class_status",
    "doctor",
    "join_class",
    "leave_class",
    "pack",
    "PackReport",
    "plot_class",
    "readiness",
    "report_run",
    "speed_probe",
]
