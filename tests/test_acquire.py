"""Acquisition on real files: a video written with cv2.VideoWriter, photos on disk, broken files."""

from __future__ import annotations

import csv
import shutil

import cv2
import numpy as np
import pytest

import yolo_training as yt
from yolo_training.data import acquire
from yolo_training.core.common import list_images

FPS = 10
N_FRAMES = 25


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    """25 frames at 10 fps, each frame's number written in its pixel values, so we know which was kept."""
    path = tmp_path_factory.mktemp("video") / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (64, 48))
    assert writer.isOpened()
    for i in range(N_FRAMES):
        writer.write(np.full((48, 64, 3), i * 10, np.uint8))
    writer.release()
    return path


def test_video_info(video):
    info = yt.video_info(video)
    assert info["frames"] == N_FRAMES
    assert info["fps"] == pytest.approx(FPS)
    assert (info["width"], info["height"]) == (64, 48)
    assert info["seconds"] == pytest.approx(2.5)


def test_extract_every_n_frames_keeps_the_right_frames(video, tmp_path):
    result = yt.extract_frames(video, tmp_path / "frames", every_n_frames=7)
    assert [p.name for p in result.files] == ["clip_000000.jpg", "clip_000007.jpg", "clip_000014.jpg", "clip_000021.jpg"]
    for path in result.files:
        frame_number = int(path.stem.split("_")[1])
        assert abs(float(cv2.imread(str(path)).mean()) - frame_number * 10) < 4  # the pixels of that very frame
    assert sorted(p.name for p in (tmp_path / "frames").glob("*.jpg")) == [p.name for p in result.files]


def test_extract_every_seconds_and_max_frames(video, tmp_path):
    result = yt.extract_frames(video, tmp_path / "a", every_seconds=1.0)  # 10 fps: every 10th frame
    assert [p.name for p in result.files] == ["clip_000000.jpg", "clip_000010.jpg", "clip_000020.jpg"]
    capped = yt.extract_frames(video, tmp_path / "b", every_n_frames=2, max_frames=3, prefix="x")
    assert [p.name for p in capped.files] == ["x_000000.jpg", "x_000002.jpg", "x_000004.jpg"]
    with pytest.raises(yt.ArgumentError, match="exactly one"):
        yt.extract_frames(video, tmp_path / "c")


def test_output_folders_are_protected(video, tmp_path):
    own = tmp_path / "my_photos"
    own.mkdir()
    (own / "holiday.jpg").write_bytes(b"mine")
    with pytest.raises(yt.NotGeneratedError, match="did not write"):
        yt.extract_frames(video, own, every_n_frames=5)
    assert [p.name for p in own.iterdir()] == ["holiday.jpg"]
    out = tmp_path / "frames"
    yt.extract_frames(video, out, every_n_frames=5)
    with pytest.raises(yt.OutputExistsError, match="overwrite=True"):
        yt.extract_frames(video, out, every_n_frames=5)
    again = yt.extract_frames(video, out, every_n_frames=12, overwrite=True)
    assert sorted(p.name for p in out.glob("*.jpg")) == [p.name for p in again.files] and len(again) == 3


def test_unreadable_video_says_what_to_do(tmp_path):
    with pytest.raises(yt.DatasetError, match="no video file"):
        yt.extract_frames(tmp_path / "missing.mp4", tmp_path / "out", every_n_frames=1)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 10)
    with pytest.raises(yt.DatasetError, match="Convert it"):
        yt.extract_frames(bad, tmp_path / "out", every_n_frames=1)


def test_webcam_falls_back_to_the_video(video, tmp_path, capsys):
    # camera index 99 does not exist on any machine, so the fallback path runs everywhere
    result = yt.capture_webcam(tmp_path / "webcam", every=5, max_images=3, camera=99, fallback_video=video)
    assert [p.name for p in result.files] == ["webcam_000000.jpg", "webcam_000005.jpg", "webcam_000010.jpg"]
    assert "No camera" in capsys.readouterr().out
    assert "fallback" in str(result)
    with pytest.raises(yt.DeviceError, match="fallback_video"):
        yt.capture_webcam(tmp_path / "webcam2", camera=99)


def test_demo_video_is_readable(tmp_path):
    path = yt.make_demo_video(tmp_path / "demo.mp4", seconds=1, fps=10)
    info = yt.video_info(path)
    assert info["frames"] == 10 and (info["width"], info["height"]) == (320, 240)
    frames = yt.extract_frames(path, tmp_path / "f", every_n_frames=3).files
    assert len(frames) == 4
    first, last = (cv2.imread(str(p)).astype(int) for p in (frames[0], frames[-1]))
    assert np.abs(first - last).mean() > 5  # the camera pans: frames differ


def test_import_photos_flattens_and_never_changes_the_source(tmp_path):
    src = tmp_path / "phone"
    (src / "day1").mkdir(parents=True)
    (src / "day2").mkdir()
    img = np.zeros((20, 30, 3), np.uint8)
    cv2.imwrite(str(src / "day1" / "IMG_1.jpg"), img)
    cv2.imwrite(str(src / "day2" / "IMG_1.JPG"), img + 50)
    cv2.imwrite(str(src / "top.png"), img + 100)
    (src / "notes.txt").write_text("not a photo")
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    result = yt.import_photos(src, tmp_path / "raw")
    assert sorted(p.name for p in result.files) == ["day1_IMG_1.jpg", "day2_IMG_1.JPG", "top.png"]
    assert "notes.txt" in str(result)
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file()} == before
    assert (tmp_path / "raw" / "day2_IMG_1.JPG").read_bytes() == before[src / "day2" / "IMG_1.JPG"]
    with pytest.raises(yt.DatasetError, match="holds no photos"):
        (tmp_path / "docs").mkdir()
        (tmp_path / "docs" / "a.txt").write_text("x")
        yt.import_photos(tmp_path / "docs", tmp_path / "y")
    with pytest.raises(yt.DatasetError, match="no folder"):
        yt.import_photos(tmp_path / "missing", tmp_path / "z")


def test_clean_moves_corrupt_and_duplicates_aside_never_deletes(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        cv2.imwrite(str(folder / f"photo{i}.jpg"), rng.integers(0, 255, (40, 40, 3), dtype=np.uint8))
    shutil.copy(folder / "photo1.jpg", folder / "photo1 (copy).jpg")
    good = (folder / "photo2.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.jpg").write_text("this is a text file with a .jpg ending")
    (folder / "readme.txt").write_text("left alone")
    all_bytes = sorted(p.read_bytes() for p in folder.iterdir())

    report = yt.clean_images(folder)

    assert sorted(p.name for p in report.kept) == ["photo0.jpg", "photo1.jpg", "photo2.jpg"]
    assert sorted(s.file for s in report.unreadable) == ["empty.png", "text.jpg", "truncated.jpg"]
    assert [(s.file, s.detail) for s in report.duplicates] == [("photo1 (copy).jpg", "same bytes as photo1.jpg")]
    aside = folder / acquire.SET_ASIDE
    # nothing lost: every byte string is still somewhere under the folder
    assert sorted(p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != acquire.SET_ASIDE_REPORT) == all_bytes
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["photo0.jpg", "photo1.jpg", "photo2.jpg", "readme.txt"]
    rows = list(csv.DictReader((aside / acquire.SET_ASIDE_REPORT).open(encoding="utf-8")))
    assert sorted(r["file"] for r in rows) == ["empty.png", "photo1 (copy).jpg", "text.jpg", "truncated.jpg"]
    assert "nothing was deleted" in report.summary()
    # a second run finds nothing more: the set-aside folder is not looked into
    assert yt.clean_images(folder).set_aside == []
    # images no longer listed by the dataset step
    assert [p.name for p in list_images(folder)] == ["photo0.jpg", "photo1.jpg", "photo2.jpg"]
