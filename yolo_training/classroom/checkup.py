"""``yolo-training doctor``: what this machine will use for training, and whether it is ready offline."""

from __future__ import annotations

import platform
import shutil


def doctor() -> dict:
    """Print what this machine will use for training, and whether it is ready to work offline.

    Versions (Python, torch, Ultralytics, CUDA), the device ``"auto"`` picks, the CPU threads
    training uses, the offline setup (cached weights, plot font), the project folders, the free
    disk space and the profile; then what to do about what is missing.

    Returns:
        The facts printed, by name.

    Examples:
        >>> facts = doctor()  # doctest: +SKIP
                          python: 3.11.2
        ...
        >>> facts["device (auto)"]  # doctest: +SKIP
        'cpu'
    """
    from ..core import env
    from ..core.devices import cpu_threads
    from ..training.models import cached_weights
    from ..training.settings import CPU_REASON
    from .preflight import readiness

    facts = _facts()
    width = max(len(k) for k in facts)
    for key, value in facts.items():
        print(f"{key:>{width}}: {value}")
    if facts["device (auto)"] == "cpu":
        print(f"\n{CPU_REASON}")
        print(f"Ultralytics alone would use {max(1, min(8, (cpu_threads()) - 1))} thread(s); yolo-training uses all {cpu_threads()} cores.")
    if env.is_offline() and not cached_weights():
        print("\nOffline with no cached weights: models train from scratch. While online, run "
              "`yolo-training weights fetch yolov8n yolo11n` and copy weights/ to each machine.")
    if not env.font_installed():
        print("\nThe plot font is missing: plots would try to download Arial.ttf.")
    facts["workshop"] = readiness()[1]  # issue 14: ready for the workshop? (packages, weights, disk, cores, speed)
    print(f"\n{facts['workshop']}")
    return facts


def _facts() -> dict:
    import torch
    import ultralytics

    from ..core import env
    from ..core.devices import available_devices, cpu_threads, pick_device
    from ..training.models import cached_weights
    from ..training.settings import profile

    free = shutil.disk_usage(env.project_root()).free / 2**30
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "ultralytics": ultralytics.__version__,
        "cuda": torch.version.cuda if torch.cuda.is_available() else f"not available (torch built for {torch.version.cuda or 'CPU'})",
        "devices": ", ".join(available_devices()),
        "device (auto)": pick_device("auto"),
        "cpu threads for training": cpu_threads(),
        "offline": env.is_offline(),
        "plot font in place": env.font_installed(),
        "project": str(env.project_root()),
        "ultralytics config": str(env.ultralytics_settings_dir()),
        "cached weights": ", ".join(p.name for p in cached_weights()) or f"none in {env.weights_dir()}",
        "free disk": f"{free:.1f} GiB",
        "profile": profile(),
    }
