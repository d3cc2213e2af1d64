"""Devices and threads: the GPU, Apple's MPS or the CPU, and every core of the CPU.

On a CPU, Ultralytics uses ``min(8, cores - 1)`` threads (one on a 2-core laptop); training,
validation and prediction here use every core. The thread count is the one place where the package
sets a module constant of Ultralytics (:func:`use_all_cores`): ``select_device`` reads it each
time it picks a device, and there is no argument for it. ``tests/test_contracts.py`` fails loudly
when the pinned Ultralytics no longer reads it.
"""

from __future__ import annotations

import os

from .errors import DeviceError


def available_devices() -> list[str]:
    """Devices on this machine, as Ultralytics names them.

    Returns:
        ``"0"``, ``"1"``... (CUDA GPUs), then ``"mps"`` (Apple), then always ``"cpu"``.

    Examples:
        >>> available_devices()[-1]
        'cpu'
    """
    import torch

    devices = [str(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        devices.append("mps")
    return devices + ["cpu"]


def pick_device(device: str | int | list | None = "auto") -> str:
    """The device to train or predict on.

    Args:
        device: ``"auto"`` (CUDA, then Apple MPS, then the CPU), ``"cpu"``, ``"mps"``, a GPU
            number (``0``, ``"0"``, ``"cuda:0"``) or several (``[0, 1]``, ``"0,1"``).

    Returns:
        The device as Ultralytics takes it (``"cpu"``, ``"0"``, ``"0,1"``...).

    Raises:
        DeviceError: a device that is not on this machine (the message lists those that are).

    Examples:
        >>> pick_device("cpu")
        'cpu'
    """
    present = available_devices()
    if device is None or str(device).lower() in ("auto", ""):
        return present[0]
    if isinstance(device, (list, tuple)):
        wanted = [str(d) for d in device]
    else:
        wanted = [d.strip() for d in str(device).lower().replace("cuda:", "").split(",")]
        wanted = ["0" if d == "cuda" else d for d in wanted]
    missing = [d for d in wanted if d not in present]
    if missing:
        raise DeviceError(
            f"device={device!r} is not on this machine (available: {', '.join(present)}). "
            "Use device='auto' to pick the best one, or device='cpu'."
        )
    return ",".join(wanted)


def cpu_threads() -> int:
    """Threads torch should use on the CPU: every core, or ``YOLO_TRAINING_THREADS`` when set."""
    if n := os.environ.get("YOLO_TRAINING_THREADS"):
        return max(1, int(n))
    return max(1, os.cpu_count() or 1)


def use_all_cores() -> int:
    """Make Ultralytics (and torch) use every CPU core.

    Ultralytics sets ``OMP_NUM_THREADS=1`` on import and resets torch to ``min(8, cores - 1)``
    threads each time it selects a device. Its ``select_device`` reads the module constant
    ``ultralytics.utils.torch_utils.NUM_THREADS``, set here (and only here).

    Returns:
        The thread count.

    Examples:
        >>> use_all_cores() >= 1
        True
    """
    import torch
    import ultralytics.utils.torch_utils as torch_utils

    n = cpu_threads()
    torch_utils.NUM_THREADS = n
    torch.set_num_threads(n)
    return n
