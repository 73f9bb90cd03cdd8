"""Messages: unsafe or non-torch checkpoints, implausible intrinsics, unknown devices."""

import json

import cv2
import numpy as np
import pytest
import torch

from hupor.errors import HuporError
from hupor.media import check_K, load_intrinsics
from hupor.nets import load_bundle
from hupor.predictor import resolve_intrinsics
from hupor.train.checkpoint import load_checkpoint


class Payload:
    def __reduce__(self):  # what a crafted checkpoint does: call something on load
        return (print, ("this must never run",))


@pytest.fixture
def bad_files(tmp_path):
    torch.save({"format": "hupor-bundle", "x": Payload()}, tmp_path / "evil.pt")
    (tmp_path / "notes.pt").write_text("these are my notes, not weights\n")
    (tmp_path / "empty.pt").write_bytes(b"")
    (tmp_path / "cut.pt").write_bytes((tmp_path / "evil.pt").read_bytes()[:40])
    return tmp_path


@pytest.mark.parametrize("load, what", [(load_bundle, "model bundle"), (load_checkpoint, "checkpoint")])
def test_unsafe_and_non_torch_files(bad_files, capsys, load, what):
    with pytest.raises(HuporError) as exc:
        load(bad_files / "evil.pt")
    msg = str(exc.value)
    assert "holds arbitrary Python objects (print); refused as unsafe" in msg
    assert "weights_only" not in msg and "Re-running" not in msg
    assert "must never run" not in capsys.readouterr().out
    with pytest.raises(HuporError, match=f"notes.pt: not a {what} \\(not a file written by torch.save\\)"):
        load(bad_files / "notes.pt")
    with pytest.raises(HuporError, match=f"empty.pt: empty file \\(0 bytes\\), not a {what}"):
        load(bad_files / "empty.pt")
    with pytest.raises(HuporError, match=f"cut.pt: not a readable {what} \\(truncated or corrupt"):
        load(bad_files / "cut.pt")


def test_cli_refuses_unsafe_bundle_and_checkpoint(bad_files, fails, tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((8, 8, 3), np.uint8))
    fails(["predict", tmp_path / "a.png", "--checkpoint", bad_files / "evil.pt", "--json-output",
           tmp_path / "o"], "evil.pt: holds arbitrary Python objects")
    fails(["train", "export", "--detector", bad_files / "notes.pt", "--out", tmp_path / "m.pt"],
          "notes.pt: not a checkpoint")
    assert not (tmp_path / "m.pt").exists()


@pytest.mark.parametrize("kw, fragment", [
    ({"fx": 1e-300}, "fx: focal length fx=1e-300 px is implausible"),
    ({"fx": 1e9}, "fx=1e+09 px is implausible"),
    ({"fx": float("nan")}, "fx: focal length must be a positive number"),
    ({"fov_degrees": 179.9999}, "focal length fx=0.000279"),
    ({"K": [[500, 0, 1e308], [0, 500, 240], [0, 0, 1]]}, "principal point cx=1e+308"),
    ({"K": [[500, 0, 5000], [0, 500, 240], [0, 0, 1]]}, "cx=5000 px is implausible for a 640x480 image"),
    ({"K": [[500, 0, 320], [0, -5, 240], [0, 0, 1]]}, "focal lengths must be positive, got fy=-5"),
])
def test_intrinsics_checked_once_up_front(kw, fragment):
    with pytest.raises(HuporError, match=fragment.replace("(", r"\(").replace("+", r"\+")):
        resolve_intrinsics(640, 480, **kw)


def test_intrinsics_file_uses_the_same_check(tmp_path):
    for data, fragment in (({"fx": 1e-300, "fy": 500, "cx": 1, "cy": 1}, "fx=1e-300 px is implausible"),
                           ({"fx": 500, "fy": 500, "cx": 1e308, "cy": 1}, "cx=1e+308"),
                           ({"K": [[500, 0, 1], [0, 500, float("inf")], [0, 0, 1]]}, "NaN or inf")):
        (tmp_path / "k.json").write_text(json.dumps(data))
        with pytest.raises(HuporError) as exc:
            load_intrinsics(tmp_path / "k.json")
        assert "k.json" in str(exc.value) and fragment in str(exc.value)
    assert check_K([[500, 0, 320], [0, 500, 240], [0, 0, 1]])[0, 0] == 500
    # an ordinary K for a 4000 px image is accepted for that image
    assert resolve_intrinsics(4000, 3000, K=[[3000, 0, 2000], [0, 3000, 1500], [0, 0, 1]])[1] == "K"


def test_cli_intrinsics_and_device(tmp_path, fails):
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((8, 8, 3), np.uint8))
    base = ["predict", tmp_path / "a.png", "--json-output", tmp_path / "o"]
    fails(base + ["--fx", "1e-300"], "fx=1e-300 px is implausible")
    fails(base + ["--device", "tpu"], "--device 'tpu': unknown device")
    if not torch.cuda.is_available():
        fails(base + ["--device", "cuda"], "--device 'cuda': CUDA is not available")
    else:  # accepted where CUDA exists: the prediction is written
        from hupor.cli.main import main

        assert main(["predict", str(tmp_path / "a.png"), "--device", "cuda", "--json-output", str(tmp_path / "g")]) == 0
        assert list((tmp_path / "g").glob("*.json"))
    fails(["demo", "--out", tmp_path / "d", "--sample", "--device", "tpu"], "--device 'tpu'")
    assert not (tmp_path / "o").exists() and not (tmp_path / "d").exists()
