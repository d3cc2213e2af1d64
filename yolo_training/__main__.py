"""``python -m yolo_training`` is the ``yolo-training`` command (for machines without the script on PATH)."""

from .cli import main

raise SystemExit(main())
