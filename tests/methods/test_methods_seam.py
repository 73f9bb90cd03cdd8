"""The method seam: the HUPOR chain unchanged on a legacy bundle, the oracle through Predictor, and a
stride-2 configuration that trains, bundles, loads and predicts."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from hupor.cli.demo import make_scene
from hupor.codec import CodecParams, DecodeParams
from hupor.errors import HuporError
from hupor.methods import METHODS, HuporMethod, OracleMethod
from hupor.nets import load_bundle
from hupor.predictor import Predictor

DATA = Path(__file__).parents[1] / "product" / "data"
LEGACY = DATA / "legacy_default_v1.pt"  # the default model bundled before the seam (no method/codec keys)


@pytest.mark.parametrize("flip", [False, True])
def test_legacy_bundle_predicts_bit_identical_to_before_the_seam(flip):
    """Outputs recorded with the pre-seam Predictor (commit 3979ed0) on the bundled sample scene; the
    root rules gated by the reasoner's maps as then (the detector gating of defect 1 is the intended change)."""
    before = np.load(DATA / "default_demo_scene_before.npz")
    _, rec, _ = make_scene(0, 0, sample=True)
    img = cv2.imread(str(DATA / "demo_scene_v1.jpg"))   # the sample scene as rendered then (no front/back cues)
    pred = Predictor(LEGACY, flip_test=flip, decode=DecodeParams(root_confidence="reasoner"), runtime="torch",
                     precision="fp32")  # the bundle's modules as recorded (the default runtime is auto)
    assert pred.model_info["method"] == "hupor" and pred.codec_params.stride == 4
    out = pred(img, K=rec.intrinsics.K)
    # bit-identical on the machine that recorded it; a CPU with other SIMD kernels may round the
    # convolutions differently in the last bits, so floats get a tolerance far below a pixel / mm
    np.testing.assert_array_equal(out.joint_state, before[f"flip{int(flip)}_joint_state"])
    for name in ("joints_2d", "joints_3d", "joint_scores", "root_depth_mm", "person_scores"):
        np.testing.assert_allclose(getattr(out, name), before[f"flip{int(flip)}_{name}"], rtol=1e-5, atol=1e-3,
                                   err_msg=name)


def test_legacy_bundle_defaults_to_method_hupor_and_stride_4():
    b = load_bundle(LEGACY)
    assert b.method == "hupor" and "codec" not in b.config
    assert b.codec_config.stride == 4 and b.codec_params().map_w == b.input_config.net_w // 4
    assert isinstance(METHODS[b.method](b), HuporMethod)


def test_oracle_goes_through_predictor_and_finds_everyone():
    img, rec, _ = make_scene(0, 0, sample=True)
    oracle = OracleMethod(CodecParams(net_w=256, net_h=160, stride=2), root="perfect")
    pred = Predictor(method=oracle)
    assert pred.model_info["method"] == "oracle"
    out = pred.predict_arrays([img], K=rec.intrinsics, records=[rec])[0]
    assert out.num_persons == rec.num_persons
    # the root depth read from perfect maps is close to the truth (mm)
    true_root = np.sort(rec.joints_3d[:, 2, 2])
    np.testing.assert_allclose(np.sort(out.root_depth_mm), true_root, rtol=0.05)
    with pytest.raises(HuporError, match="ground-truth record"):
        pred.predict_arrays([img])


def test_unknown_method_in_bundle_is_refused(tmp_path):
    import torch

    data = torch.load(LEGACY, weights_only=True)
    data["method"] = "nonsense"
    torch.save(data, tmp_path / "b.pt")
    with pytest.raises(HuporError, match="unknown method 'nonsense'"):
        Predictor(tmp_path / "b.pt")
