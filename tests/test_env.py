"""The environment is prepared before Ultralytics runs: config folder, font, no auto-install, threads."""

import os
import subprocess
import sys

import torch

import yolo_training as yt
from yolo_training.core import env
def test_config_dir_is_the_projects():
    assert os.environ["YOLO_CONFIG_DIR"] == str(env.config_dir())
    from ultralytics.utils import SETTINGS, USER_CONFIG_DIR

    assert USER_CONFIG_DIR == env.ultralytics_settings_dir()
    assert SETTINGS["weights_dir"] == str(env.weights_dir())
    assert SETTINGS["runs_dir"] == str(env.runs_dir())
    assert SETTINGS["sync"] is False


def test_autoinstall_is_off():
    from ultralytics.utils import AUTOINSTALL

    assert AUTOINSTALL is False


def test_font_is_installed_under_the_names_ultralytics_asks_for():
    from ultralytics.utils.checks import check_font

    for name in env.FONT_NAMES:
        path = env.ultralytics_settings_dir() / name
        assert path.is_file() and path.stat().st_size > 100_000
        assert check_font(name) == path  # found locally, so never downloaded


def test_settings_do_not_depend_on_the_starting_folder(tmp_path):
    code = "import yolo_training; from ultralytics.utils import SETTINGS; print(SETTINGS['datasets_dir'])"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == str(env.project_root() / "datasets")


def test_use_all_cores_sets_every_core():
    import ultralytics.utils.torch_utils as torch_utils
    from ultralytics.utils.torch_utils import select_device

    n = yt.use_all_cores()
    assert n == (os.cpu_count() or 1)
    select_device("cpu")  # Ultralytics resets the thread count here; it must keep ours
    assert torch.get_num_threads() == n
    assert torch_utils.NUM_THREADS == n


def test_offline_is_detected_without_network():
    # this machine reaches only package registries: weights cannot be downloaded
    if env.network_available():
        import pytest

        pytest.skip("this machine can reach the weights host")
    assert env.is_offline()
