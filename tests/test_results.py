"""Reading results: the metrics against Ultralytics' own code, results.csv, diagnosis, plots, comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import yolo_training as yt
from yolo_training.results.metrics import iou
from yolo_training.training.runs import best_epoch, loss_names

# ---------------------------------------------------------------------------------------------
# explain_metrics agrees with Ultralytics


def _ultralytics_tp(ex):
    from ultralytics.models.yolo.detect import DetectionValidator
    from ultralytics.utils.metrics import box_iou

    validator = DetectionValidator()
    tp = np.zeros((len(ex.predictions), 10), dtype=bool)
    for image in ex.truth["image"].unique():
        t = ex.truth[ex.truth["image"] == image]
        p = ex.predictions[ex.predictions["image"] == image]  # already most confident first
        ious = box_iou(torch.tensor(t[["x1", "y1", "x2", "y2"]].to_numpy(float)), torch.tensor(p[["x1", "y1", "x2", "y2"]].to_numpy(float)))
        correct = validator.match_predictions(torch.tensor(p["class"].to_numpy()), torch.tensor(t["class"].to_numpy()), ious)
        tp[p.index.to_numpy()] = correct.numpy()
    return tp


def test_explain_metrics_matches_ultralytics(capsys):
    from ultralytics.utils.metrics import ap_per_class, box_iou

    ex = yt.explain_metrics(show=True)
    out = capsys.readouterr().out
    assert "mAP50-95" in out and "4/7" in out and "4/5" in out
    # The hand-countable numbers: 7 boxes above conf 0.25, 4 right; 5 true objects.
    assert ex.precision == pytest.approx(4 / 7) and ex.recall == pytest.approx(4 / 5)
    # IoU, box by box, against Ultralytics' box_iou
    for _, p in ex.predictions.iterrows():
        for _, t in ex.truth[ex.truth["image"] == p["image"]].iterrows():
            theirs = box_iou(torch.tensor([[p.x1, p.y1, p.x2, p.y2]], dtype=torch.float64),
                             torch.tensor([[t.x1, t.y1, t.x2, t.y2]], dtype=torch.float64)).item()
            assert iou((p.x1, p.y1, p.x2, p.y2), (t.x1, t.y1, t.x2, t.y2)) == pytest.approx(theirs, abs=1e-6)
    assert ex.predictions["best_iou"].iloc[0] == pytest.approx(58 * 40 / 2400)  # countable: 58 x 40 px overlap
    # true positives at the 10 thresholds, against the validator's matching
    assert (ex.correct == _ultralytics_tp(ex)).all()
    # AP per class and threshold, mAP50 and mAP50-95, against ap_per_class
    out = ap_per_class(ex.correct, ex.predictions["confidence"].to_numpy(float), ex.predictions["class"].to_numpy(),
                       ex.truth["class"].to_numpy())
    ap = out[5]
    assert np.abs(ex.ap.to_numpy() - ap).max() < 1e-6
    assert abs(ex.map50 - ap[:, 0].mean()) < 1e-6
    assert abs(ex.map50_95 - ap.mean()) < 1e-6
    assert 0 < ex.map50_95 < ex.map50 < 1
    assert set(ex.figures) == {"boxes", "pr_curves", "ap_per_threshold"}


def test_explain_metrics_on_own_boxes_and_bad_boxes():
    truth = [("x", 0, 0, 0, 10, 10)]
    ex = yt.explain_metrics(truth, [("x", 0, 0.9, 0, 0, 10, 10)], names=["note"], show=False)
    # a perfect box: AP is 0.995, not 1, an artefact of the 101-point trapezoid Ultralytics uses too
    assert ex.map50 == pytest.approx(0.995, abs=1e-6) and ex.map50_95 == pytest.approx(0.995, abs=1e-6)
    with pytest.raises(yt.YoloTrainingError, match="x2 > x1"):
        yt.explain_metrics(truth, [("x", 0, 0.9, 10, 0, 5, 10)], show=False)


# ---------------------------------------------------------------------------------------------
# results.csv

HEADER = ["epoch", "time", "train/box_loss", "train/cls_loss", "train/dfl_loss", "metrics/precision(B)", "metrics/recall(B)",
          "metrics/mAP50(B)", "metrics/mAP50-95(B)", "val/box_loss", "val/cls_loss", "val/dfl_loss", "lr/pg0", "lr/pg1", "lr/pg2"]


def make_run(folder: Path, train_loss, val_loss, map5095, precision=None, recall=None, time_column=True) -> Path:
    """A run folder holding only a results.csv with the given curves (loss split over box/cls/dfl)."""
    folder.mkdir(parents=True, exist_ok=True)
    n = len(train_loss)
    map5095 = np.asarray(map5095, float)
    rows = []
    for i in range(n):
        rows.append([i + 1, 10.0 * (i + 1), *(np.array([0.5, 0.3, 0.2]) * train_loss[i]),
                     precision[i] if precision is not None else min(1, map5095[i] * 1.6),
                     recall[i] if recall is not None else min(1, map5095[i] * 1.5),
                     min(1, map5095[i] * 1.5), map5095[i], *(np.array([0.5, 0.3, 0.2]) * val_loss[i]), 0.01, 0.01, 0.01])
    table = pd.DataFrame(rows, columns=HEADER)
    if not time_column:
        table = table.drop(columns="time")
    table.to_csv(folder / "results.csv", index=False)
    return folder


def test_load_results_readable_old_format_and_resume(tmp_path):
    run = make_run(tmp_path / "old", [3, 2.5, 2], [3, 2.6, 2.2], [0.1, 0.2, 0.3], time_column=False)
    csv = run / "results.csv"
    table = pd.read_csv(csv)
    stale = table.iloc[[1]].copy()
    stale["metrics/mAP50-95(B)"] = 0.9  # epoch 2 as first written; a resume wrote it again
    table = pd.concat([table.iloc[[0]], stale, table.iloc[1:]])
    # older Ultralytics padded the column names with spaces
    table.columns = [f"{c:>20s}" for c in table.columns]
    table.to_csv(csv, index=False)
    df = yt.load_results(run)
    assert list(df["epoch"]) == [1, 2, 3]
    assert {"train_box_loss", "val_dfl_loss", "precision", "recall", "mAP50", "mAP50-95", "time", "lr_pg0"} <= set(df.columns)
    assert df["time"].isna().all()
    assert df.attrs["duplicates_dropped"] == 1
    assert df["mAP50-95"].tolist() == pytest.approx([0.1, 0.2, 0.3])


def test_load_results_yolov5_columns(tmp_path):
    folder = tmp_path / "v5"
    folder.mkdir()
    header = "               epoch,      train/box_loss,      train/obj_loss,      train/cls_loss,   metrics/precision,      metrics/recall,     metrics/mAP_0.5,metrics/mAP_0.5:0.95,        val/box_loss,        val/obj_loss,        val/cls_loss,               x/lr0"
    (folder / "results.csv").write_text(header + "\n" + "0, 0.1, 0.05, 0.02, 0.5, 0.4, 0.45, 0.2, 0.09, 0.04, 0.01, 0.003\n"
                                        + "1, 0.08, 0.04, 0.015, 0.6, 0.5, 0.55, 0.3, 0.08, 0.035, 0.01, 0.002\n")
    df = yt.load_results(folder)
    assert df["mAP50-95"].tolist() == pytest.approx([0.2, 0.3]) and df["precision"].iloc[-1] == pytest.approx(0.6)
    assert loss_names(df) == ["box_loss", "obj_loss", "cls_loss"]
    assert best_epoch(df) == 1


def test_load_results_bad_input(tmp_path):
    died = tmp_path / "died"
    (died / "weights").mkdir(parents=True)
    with pytest.raises(yt.ResultsError, match="before it finished its first epoch"):
        yt.load_results(died)
    with pytest.raises(yt.ResultsError, match="no run folder"):
        yt.load_results(tmp_path / "nothing")
    (died / "results.csv").write_text("")
    with pytest.raises(yt.ResultsError, match="cannot be read"):
        yt.load_results(died)
    (died / "results.csv").write_text("a,b\n1,2\n")
    with pytest.raises(yt.ResultsError, match="no 'epoch' column"):
        yt.load_results(died)
    (died / "results.csv").write_text(",".join(HEADER) + "\n")
    with pytest.raises(yt.ResultsError, match="no epoch rows"):
        yt.load_results(died)


# ---------------------------------------------------------------------------------------------
# diagnose on constructed curves, one pattern each

E = np.arange(20)


def _kinds(folder, **kw):
    return yt.diagnose(folder, validate_model=False, **kw).kinds()


def test_diagnose_still_improving(tmp_path):
    run = make_run(tmp_path / "r", 4 * 0.9**E, 4.2 * 0.92**E, 0.02 * E)
    d = yt.diagnose(run, validate_model=False)
    assert "still_improving" in d.kinds() and "overfitting" not in d.kinds()
    assert "epoch 20" in [f for f in d if f.kind == "still_improving"][0].evidence


def test_diagnose_converged(tmp_path):
    curve = 0.5 * (1 - np.exp(-E / 2))
    run = make_run(tmp_path / "r", 4 * (0.5 + 0.5 * np.exp(-E / 2)), 4.2 * (0.5 + 0.5 * np.exp(-E / 2)), curve)
    kinds = _kinds(run)
    assert "converged" in kinds and "still_improving" not in kinds and "overfitting" not in kinds


def test_diagnose_overfitting_from_epoch(tmp_path):
    val = np.where(E < 8, 4 - 0.3 * E, 4 - 0.3 * 7 + 0.15 * (E - 7))  # lowest at epoch 8, then rising
    run = make_run(tmp_path / "r", 4 * 0.9**E, val, np.minimum(0.05 * E, 0.35))
    d = yt.diagnose(run, validate_model=False)
    found = [f for f in d if f.kind == "overfitting"]
    assert found and "from epoch 8" in found[0].title and "best.pt" in found[0].suggestion


def test_diagnose_unstable(tmp_path):
    metric = 0.3 + 0.2 * (E % 2)  # 0.3, 0.5, 0.3, 0.5 ...
    run = make_run(tmp_path / "r", 4 * 0.95**E, 4.2 * 0.96**E, metric)
    d = yt.diagnose(run, validate_model=False)
    assert "unstable" in d.kinds()
    nan = make_run(tmp_path / "nan", [3, 2, float("nan"), 2], [3, 2, 2, 2], [0.1, 0.2, 0.2, 0.2])
    assert "NaN" in str(yt.diagnose(nan, validate_model=False))


def test_diagnose_underfitting(tmp_path):
    run = make_run(tmp_path / "r", 6 - 0.005 * E, 6.3 - 0.004 * E, 0.01 + 0.0002 * E)
    kinds = _kinds(run)
    assert "underfitting" in kinds and "converged" not in kinds


def test_diagnose_precision_recall_and_too_short(tmp_path):
    run = make_run(tmp_path / "r", 4 * 0.9**E, 4.2 * 0.92**E, 0.02 * E, precision=np.full(20, 0.9), recall=np.full(20, 0.4))
    d = yt.diagnose(run, validate_model=False)
    pr = [f for f in d if f.kind == "precision_recall"]
    assert pr and "misses objects" in pr[0].title and "0.900" in pr[0].evidence
    run = make_run(tmp_path / "r2", 4 * 0.9**E, 4.2 * 0.92**E, 0.02 * E, precision=np.full(20, 0.3), recall=np.full(20, 0.8))
    assert "false alarms" in str(yt.diagnose(run, validate_model=False))
    short = make_run(tmp_path / "short", [3, 2], [3, 2.5], [0.1, 0.2])
    assert _kinds(short) == ["too_short"]
    with pytest.raises(yt.YoloTrainingError, match="Unknown threshold"):
        yt.diagnose(short, validate_model=False, nonsense=1)


def test_diagnose_data_problems_from_dataset_report(tmp_path, tiny_export):
    run = make_run(tmp_path / "r", 4 * 0.9**E, 4.2 * 0.92**E, 0.02 * E)
    report = yt.inspect_dataset(tiny_export)
    d = yt.diagnose(run, dataset=report, validate_model=False)
    few = [f for f in d if f.kind == "few_instances"][0]
    assert str(report.instances_per_class["10 euro"]) in few.evidence
    d = yt.diagnose(run, dataset=report, validate_model=False, few_instances=1, class_ratio=1.01)
    assert "few_instances" not in d.kinds()
    counts = report.instances_per_class
    assert ("class_imbalance" in d.kinds()) == (max(counts.values()) / min(counts.values()) > 1.01)


# ---------------------------------------------------------------------------------------------
# On a real short run


def test_validate_table_and_confusion_matrix(tiny_run, tiny_split):
    table = yt.validate(tiny_run, data=tiny_split)
    assert list(table.columns) == ["class", "images", "instances", "precision", "recall", "mAP50", "mAP50-95"]
    assert table["class"].tolist()[0] == "all" and set(table["class"][1:]) == {"10 euro", "5 euro"}
    labels = sorted((tiny_split.parent / "labels" / "val").glob("*.txt"))
    n_boxes = sum(len([line for line in p.read_text().splitlines() if line.strip()]) for p in labels)
    assert table.loc[0, "instances"] == n_boxes == table["instances"][1:].sum()
    assert table.loc[0, "images"] == len(list((tiny_split.parent / "images" / "val").iterdir()))
    matrix = yt.confusion_matrix(tiny_run, data=tiny_split)
    assert list(matrix.columns) == ["10 euro", "5 euro", "background"]
    # every true object is counted once: found as some class, or missed (background row)
    for name in ("10 euro", "5 euro"):
        assert matrix[name].sum() == table.set_index("class").loc[name, "instances"]
    fig = yt.plot_confusion_matrix(matrix)
    assert len(fig.axes[0].texts) == 9


def test_diagnose_real_run(tiny_run, tiny_split):
    d = yt.diagnose(tiny_run, data=tiny_split)
    kinds = d.kinds()
    assert kinds[0] == "too_short"  # one epoch
    assert "few_instances" in kinds  # 30 images: far too few, read from the run's training labels
    assert "weakest_class" in kinds
    assert all(f.evidence and f.suggestion for f in d)


def test_plots_and_show_results_real_run(tiny_run, tiny_split, capsys):
    found = yt.plot_paths(tiny_run)
    for key in ("results", "confusion_matrix", "labels", "train_batch", "PR_curve", "F1_curve", "P_curve", "R_curve"):
        assert key in found, key
    if "val_batch" in found:
        names = [p.name for p in found["val_batch"]]
        assert names[0].endswith("_labels.jpg") and names[1].endswith("_pred.jpg")
    shown = yt.show_results(tiny_run, which=["PR_curve", "confusion_matrix"])
    out = capsys.readouterr().out
    assert set(shown) == {"PR_curve", "confusion_matrix"} and "We want" in out and "We don't want" in out
    with pytest.raises(yt.YoloTrainingError, match="Unknown plot"):
        yt.show_results(tiny_run, which="nonsense")
    fig = yt.plot_training(tiny_run)
    assert any("best epoch 1" in t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts())
    fig = yt.plot_predictions(tiny_run, n=2, data=tiny_split)
    assert len(fig.axes) == 4 and fig.axes[0].get_title().endswith(")")


def test_compare_runs(tiny_run, tmp_path):
    other = make_run(tmp_path / "long", 4 * 0.9**E, 4.2 * 0.92**E, 0.02 * E)
    table, fig = yt.compare_runs([tiny_run, other], labels=["tiny", "long"])
    assert table["run"].tolist() == ["tiny", "long"]
    assert table.loc[1, "best_epoch"] == 20 and table.loc[1, "mAP50-95"] == pytest.approx(0.38)
    assert table.loc[0, "model"] == "yolov8n" and table.loc[0, "imgsz"] == 64
    assert len(fig.axes[0].lines) == 4  # mAP50-95 and mAP50 per run
    with pytest.raises(yt.YoloTrainingError):
        yt.compare_runs([])
