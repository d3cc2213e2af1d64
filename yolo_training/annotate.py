"""Step 2 of the course, annotation, in one import: the names of the modules that do its jobs.

Nothing is defined here. The work lives in one module per job:

* :mod:`yolo_training.labelstudio_server`: install, start, stop and check the project's own Label Studio;
* :mod:`yolo_training.labelstudio`: its REST client, labelling projects and uploading photos;
* :mod:`yolo_training.labelstudio_export`: pulling a project's export into ``annotations/export``, safely;
* :mod:`yolo_training.prelabel`: a trained model's proposals uploaded as predictions, and accepted;
* :mod:`yolo_training.box_editor`: the offline box editor.

Every name is importable from ``yolo_training`` itself; this module keeps
``from yolo_training.annotate import ...`` (chapter 2's notebook) working.
"""

from __future__ import annotations

from .box_editor import BoxEditor, box_editor
from .labelstudio import (
    TASKS,
    LabelingProject,
    LabelStudio,
    connect,
    create_labeling_project,
    get_labeling_project,
    import_images,
    labeling_config,
    original_name,
)
from .labelstudio_export import MAX_EXPORT_BYTES, PULL_MARKER, PullResult, pull_export
from .labelstudio_server import (
    DEFAULT_PORT,
    LABEL_STUDIO_VERSION,
    ServerInfo,
    free_port,
    install_label_studio,
    label_studio_home,
    label_studio_installed,
    label_studio_status,
    port_free,
    start_label_studio,
    stop_label_studio,
)
from .prelabel import PreannotateResult, accept_predictions, preannotate

__all__ = [
    "BoxEditor", "box_editor",
    "TASKS", "LabelingProject", "LabelStudio", "connect", "create_labeling_project", "get_labeling_project",
    "import_images", "labeling_config", "original_name",
    "MAX_EXPORT_BYTES", "PULL_MARKER", "PullResult", "pull_export",
    "DEFAULT_PORT", "LABEL_STUDIO_VERSION", "ServerInfo", "free_port", "install_label_studio", "label_studio_home",
    "label_studio_installed", "label_studio_status", "port_free", "start_label_studio", "stop_label_studio",
    "PreannotateResult", "accept_predictions", "preannotate",
]  # fmt: skip
