"""With every non-loopback connection and name lookup blocked, the whole path still works.

The script below runs in a fresh Python process whose socket module refuses (and records) any
network use that is not loopback, before ``yolo_training`` or Ultralytics is imported. The only
permitted attempt is ``yolo_training.core.env.network_available()``, the one name lookup that decides
offline mode. Anything else that tries the network fails the test, with its stack.
"""

import json
import os
import subprocess
import sys
import textwrap

GUARD = textwrap.dedent(
    r'''
    import ipaddress, json, os, socket, sys, traceback

    attempts = []

    def _is_loopback(host):
        if host in (None, "", "localhost"):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False

    def _record(kind, target):
        stack = traceback.extract_stack()[:-2]
        by_probe = any(f.filename.endswith(os.path.join("yolo_training", "core", "env.py")) and f.name == "network_available" for f in stack)
        attempts.append({"kind": kind, "target": str(target), "by_probe": by_probe,
                         "stack": traceback.format_list(stack[-8:])})
        raise OSError(101, f"network blocked by the test: {kind} {target}")

    _getaddrinfo, _connect, _connect_ex = socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if _is_loopback(host):
            return _getaddrinfo(host, *args, **kwargs)
        _record("lookup", host)

    def connect(self, address):
        if self.family == getattr(socket, "AF_UNIX", None) or _is_loopback(address[0]):
            return _connect(self, address)
        _record("connect", address)

    def connect_ex(self, address):
        if self.family == getattr(socket, "AF_UNIX", None) or _is_loopback(address[0]):
            return _connect_ex(self, address)
        _record("connect", address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    '''
)

SCRIPT = textwrap.dedent(
    r'''
    import json, sys
    from pathlib import Path
    out = Path(sys.argv[1])
    import yolo_training as yt
    from ultralytics import YOLO

    export = yt.generate_sample(out / "export", n_images=24, seed=3)
    split = yt.split_dataset(export, out, config=out / "config.yaml")
    run = yt.train(split.config, model="yolov8n", epochs=1, imgsz=64, batch=8, project=out / "runs", name="offline")
    model = YOLO(str(run.best))
    from yolo_training.data.config import prepare_data
    val = model.val(data=prepare_data(split.config), project=str(out / "runs"), name="val", imgsz=64, plots=True)
    images = sorted(p for p in (out / "images" / "val").iterdir() if p.suffix == ".jpg")
    pred = model.predict(source=[str(p) for p in images[:3]], imgsz=64, conf=0.0, save=True, project=str(out / "runs"), name="predict")
    report = {
        "offline": yt.core.env.is_offline(),
        "run": str(run.dir),
        "val_dir": str(val.save_dir),
        "predict_dir": str(pred[0].save_dir),
        "n_predictions": len(pred),
        "attempts": attempts,
    }
    (out / "report.json").write_text(json.dumps(report))
    '''
)

PLOTS = [
    "results.csv",
    "results.png",
    "confusion_matrix.png",
    "confusion_matrix_normalized.png",
    "labels.jpg",
    "train_batch0.jpg",
    "val_batch0_labels.jpg",
    "val_batch0_pred.jpg",
    "weights/best.pt",
    "weights/last.pt",
]


def test_train_validate_predict_with_the_network_blocked(tmp_path):
    script = tmp_path / "offline_run.py"
    script.write_text(GUARD + "\n" + SCRIPT, encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if k not in ("YOLO_OFFLINE", "PYTEST_CURRENT_TEST")}
    environ["YOLO_TRAINING_PROFILE"] = "fast"
    proc = subprocess.run([sys.executable, str(script), str(tmp_path)], env=environ, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    report = json.loads((tmp_path / "report.json").read_text())

    assert any(a["by_probe"] for a in report["attempts"]), "the guard saw no lookup at all: is it installed?"
    others = [a for a in report["attempts"] if not a["by_probe"]]
    assert not others, "network used while blocked:\n" + "\n".join(a["kind"] + " " + a["target"] + "\n" + "".join(a["stack"]) for a in others)
    assert report["offline"] is True

    run = tmp_path / "runs" / "offline"
    missing = [p for p in PLOTS if not (run / p).is_file()]
    assert not missing, f"missing from the run folder: {missing}"
    val = tmp_path / "runs" / "val"
    assert (val / "confusion_matrix.png").is_file()
    predicted = [p for p in (tmp_path / "runs" / "predict").iterdir() if p.suffix == ".jpg"]
    assert report["n_predictions"] == 3 and len(predicted) == 3
