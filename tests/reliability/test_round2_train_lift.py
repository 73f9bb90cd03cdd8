"""Issue 33, item 6 and the weak cases: training checks every input before the run folder exists,
Ctrl-C during training gives one hupor line; NaN weights name the checkpoint; lift inputs."""

import json
import os
import signal

import cv2
import numpy as np
import pytest
import torch

from hupor.camera import Intrinsics
from hupor.errors import HuporError
from hupor.interrupt import Interrupted
from hupor.records import ImageRecord, RecordSet
from hupor.train.config import load_experiment
from hupor.train.run import run_stage

TINY = ["input.net_w=96", "input.net_h=64", "model.detector.stages=1", "model.detector.blocks=[1,1,1,1]",
        "model.detector.widths=[4,4,8,8]", "model.detector.stem_width=8", "model.detector.decoder_width=8",
        "train.progress_bar=false", "train.threads=1", "train.log_every=1", "train.checkpoint_every=1",
        "train.detector.steps=3", "train.detector.warmup_steps=0", "data.augment.enabled=false"]


def _records(tmp_path, write_image=True, size=(96, 64)):
    rec = ImageRecord("im.png", 96, 64, Intrinsics(100.0, 100.0, 48.0, 32.0), np.zeros((0, 15, 2)),
                      np.zeros((0, 15, 3)), np.zeros((0, 15), int))
    if write_image:
        cv2.imwrite(str(tmp_path / "im.png"), np.full((size[1], size[0], 3), 30, np.uint8))
    RecordSet([rec, rec], dataset="tiny").save(tmp_path / "records.json")
    return TINY + [f"data.train=[{tmp_path / 'records.json'}]"]


def test_tpu_refused_before_the_run_folder(tmp_path, fails):
    fails(["train", "detector", "--config", "cpu-tiny", "--out", tmp_path / "out", *_records(tmp_path),
           "train.accelerator=tpu"], "train.accelerator=tpu", "torch_xla")
    fails(["train", "detector", "--config", "cpu-tiny", "--out", tmp_path / "out", *_records(tmp_path),
           "train.strategy=deepspeed"], "train.strategy=deepspeed", "deepspeed")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["missing", "wrong size"])
def test_record_images_checked_before_the_run_folder(tmp_path, fails, case):
    over = _records(tmp_path, write_image=case != "missing", size=(80, 64))
    want = "no such file" if case == "missing" else "is 80x64, the record says 96x64"
    fails(["train", "detector", "--config", "cpu-tiny", "--out", tmp_path / "out", *over], "record 0", want)
    assert not (tmp_path / "out").exists()  # so the retry is not refused as "folder is not empty"


def test_ctrl_c_during_training_is_one_hupor_line(tmp_path, capsys):
    import lightning as L

    class CtrlC(L.Callback):
        def on_train_batch_end(self, trainer, *a):
            if trainer.global_step >= 2:  # after a checkpoint was written (ModelCheckpoint runs last)
                os.kill(os.getpid(), signal.SIGINT)

    cfg = load_experiment("cpu-tiny", _records(tmp_path))
    before = signal.getsignal(signal.SIGINT)   # default_int_handler, or SIG_IGN in a background job
    with pytest.raises(Interrupted) as exc:
        run_stage("detector", cfg, tmp_path / "out", callbacks=[CtrlC()])
    assert exc.value.exit_code == 130
    assert signal.getsignal(signal.SIGINT) is before  # restored after the run
    captured = capsys.readouterr()
    assert "Detected KeyboardInterrupt" not in captured.out + captured.err
    assert list((tmp_path / "out" / "checkpoints").glob("*.ckpt"))  # the run can be resumed


def test_nan_weights_name_the_checkpoint(tmp_path, fails):
    from hupor.predictor import default_checkpoint

    data = torch.load(default_checkpoint(), weights_only=True)
    key = next(k for k, v in data["detector"].items() if v.is_floating_point())
    data["detector"][key] = torch.full_like(data["detector"][key], float("nan"))
    bad = tmp_path / "nan.pt"
    torch.save(data, bad)
    img = tmp_path / "a.png"
    cv2.imwrite(str(img), np.zeros((40, 60, 3), np.uint8))
    fails(["predict", img, "--checkpoint", bad, "--json-output", tmp_path / "o"], f"{bad}", key, "NaN or inf")


@pytest.fixture
def sizes(tmp_path):
    path = tmp_path / "images.json"
    path.write_text(json.dumps({"images": [{"id": 1, "width": 640, "height": 480, "file_name": "1.jpg"}]}))
    return path


def _results(tmp_path, **change):
    r = {"image_id": 1, "keypoints": [100.0, 100.0, 0.9] * 17, "score": 0.8}
    r.update(change)
    path = tmp_path / "res.json"
    path.write_text(json.dumps([r]).replace("NaN", "NaN"))
    return path


@pytest.mark.parametrize("change, fragment", [
    ({"score": float("nan")}, "[0].score: nan is not a finite number >= 0"),
    ({"score": -0.5}, "[0].score: -0.5"),
    ({"image_id": 1.5}, "[0]: image_id must be an integer, got 1.5"),
    ({"image_id": "1"}, "[0]: image_id must be an integer, got '1'"),
    ({"keypoints": [1e308, 100.0, 0.9] * 17}, "[0].keypoints: a coordinate beyond 1e+06 px"),
    ({"keypoints": [100.0, 100.0, -0.2] * 17}, "[0].keypoints: keypoint 0 has a negative score"),
])
def test_lift_results_checked(tmp_path, fails, sizes, change, fragment):
    res = _results(tmp_path, **change)
    fails(["lift", res, "--coco-images", sizes, "--json-output", tmp_path / "o"], f"{res}{fragment}")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("width, fragment", [(0, "images[0].width: 0 is not an integer in [1, 100000] px"),
                                             (640.5, "images[0].width: 640.5")])
def test_lift_image_sizes_named(tmp_path, fails, width, fragment):
    path = tmp_path / "images.json"
    path.write_text(json.dumps({"images": [{"id": 1, "width": width, "height": 480}]}))
    fails(["lift", _results(tmp_path), "--coco-images", path, "--json-output", tmp_path / "o"], fragment)
