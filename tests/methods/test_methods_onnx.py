"""The ONNX path: export round trip (maps equal to torch), the same people on the sample scene, the
folded runtime, the message without the export extra, and ``hupor bench forward``'s JSON line."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from hupor.bench.forward import random_bundle
from hupor.cli.demo import make_scene
from hupor.cli.main import main
from hupor.errors import HuporError
from hupor.methods import HuporMethod
from hupor.nets import save_bundle
from hupor.predictor import Predictor
from hupor.train.config import load_experiment

LEGACY = Path(__file__).parents[1] / "product" / "data" / "legacy_default_v1.pt"
TINY = ["input.net_w=96", "input.net_h=64", "model.detector.stages=2", "model.detector.blocks=[1,1,1,1]",
        "model.detector.widths=[4,4,8,8]", "model.detector.stem_width=8", "model.detector.decoder_width=8",
        "model.reasoner.stages=2", "model.reasoner.blocks=[1,1,1,1]", "model.reasoner.widths=[4,4,8,8]",
        "model.reasoner.decoder_width=8"]


def _tiny_bundle(path, stride):
    torch.manual_seed(0)
    exp = load_experiment("cpu-tiny", TINY + [f"codec.stride={stride}"])
    b = random_bundle(exp.model, stride, (96, 64))
    for net in (b.detector, b.reasoner):  # non-trivial BN statistics, so the folding is exercised
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
    return save_bundle(path, exp, b.detector, b.reasoner, b.refiner)


def _maps_close(ref, got):
    for a, b in zip(ref, got):
        assert a.shape == b.shape
        torch.testing.assert_close(b, a, atol=1e-4 * float(a.abs().max()), rtol=1e-4)


@pytest.mark.parametrize("stride", [4, 2])
def test_export_round_trip_maps_equal_torch(tmp_path, stride, capsys):
    pytest.importorskip("onnxruntime")
    from hupor.methods.onnx_runtime import OnnxForward
    from hupor.nets import load_bundle

    path = _tiny_bundle(tmp_path / "b.pt", stride)
    assert main(["export", "onnx", "--bundle", str(path), "--out", str(tmp_path / "m.onnx")]) == 0
    assert "m.onnx" in capsys.readouterr().out
    bundle = load_bundle(path)
    torch_m, onnx_m = HuporMethod(bundle), HuporMethod(bundle, runtime="onnx")
    assert onnx_m.info["runtime"] == "onnx"
    from_file = OnnxForward(bundle, (96, 64), model=tmp_path / "m.onnx")
    for batch in (1, 3):  # dynamic batch
        x = torch.randn(batch, 3, 64, 96)
        ref = torch_m.forward(x)
        assert ref[1].shape == (batch, 57, 64 // stride, 96 // stride)
        _maps_close(ref, onnx_m.forward(x))
        _maps_close(ref, from_file(x))
        _maps_close(ref, HuporMethod(bundle, runtime="folded").forward(x))
    with pytest.raises(HuporError, match="exported for 96x64"):
        from_file(torch.randn(1, 3, 64, 128))


@pytest.mark.parametrize("runtime", ["onnx", "folded"])
def test_fast_runtimes_find_the_same_people_on_the_sample_scene(runtime):
    if runtime == "onnx":
        pytest.importorskip("onnxruntime")
    img, rec, _ = make_scene(0, 0, sample=True)
    for flip in (False, True):
        ref = Predictor(LEGACY, flip_test=flip, runtime="torch")(img, K=rec.intrinsics.K)
        got = Predictor(LEGACY, flip_test=flip, runtime=runtime)(img, K=rec.intrinsics.K)
        assert got.num_persons == ref.num_persons > 0
        np.testing.assert_array_equal(got.joint_state, ref.joint_state)
        np.testing.assert_allclose(got.joints_2d, ref.joints_2d, atol=1e-3)  # px
        np.testing.assert_allclose(got.joints_3d, ref.joints_3d, atol=0.05)  # mm
        np.testing.assert_allclose(got.root_depth_mm, ref.root_depth_mm, atol=0.05)


def test_onnx_runtime_without_the_extra_says_how_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime -> ImportError
    monkeypatch.setitem(sys.modules, "onnx", None)
    import cv2

    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((64, 96, 3), np.uint8))
    assert main(["predict", str(tmp_path / "a.png"), "--runtime", "onnx", "--json-output", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert 'pip install "hupor[export]"' in err and len(err.strip().splitlines()) == 1
    assert main(["export", "onnx", "--bundle", str(LEGACY), "--out", str(tmp_path / "m.onnx")]) == 2
    assert 'pip install "hupor[export]"' in capsys.readouterr().err
    with pytest.raises(HuporError, match="hupor\\[export\\]"):
        Predictor(LEGACY, runtime="onnx")
    with pytest.raises(HuporError, match="runtime: must be one of"):
        Predictor(LEGACY, runtime="tensorrt")


@pytest.mark.parametrize("runtime", ["torch", "onnx"])
def test_bench_forward_prints_a_json_line(runtime, capsys):
    if runtime == "onnx":
        pytest.importorskip("onnxruntime")
    assert main(["bench", "forward", "--config", "cpu-tiny", *TINY, "--runtime", runtime,
                 "--repeats", "1", "--size", "64x64"]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(last) == {"detector_ms", "reasoner_ms", "total_ms", "runtime", "threads", "size", "precision"}
    assert last["runtime"] == runtime and last["size"] == "64x64" and last["threads"] == 1
    assert last["total_ms"] >= last["detector_ms"] > 0 and last["reasoner_ms"] >= 0
