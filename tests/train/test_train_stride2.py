"""A stride-2 (higher-resolution head) configuration trains, bundles, loads and predicts, the stride
read from the bundle's ``codec:`` section."""

import cv2
import numpy as np
import pytest

from hupor.errors import HuporError
from hupor.nets import load_bundle
from hupor.predictor import Predictor
from hupor.records import RecordSet
from hupor.train.config import load_experiment
from hupor.train.export import export_bundle
from hupor.train.run import run_stage


def test_stride2_trains_bundles_and_predicts(tmp_path, tiny, tiny_records):
    common = tiny + [f"data.train=[{tiny_records}]", "codec.stride=2", "train.checkpoint_every=100",
                     "train.detector.steps=3", "train.detector.batch_size=2", "train.reasoner.steps=3",
                     "train.reasoner.batch_size=2", "data.reasoner_source=records"]
    det = run_stage("detector", load_experiment("cpu-tiny", common), tmp_path / "det")
    rea = run_stage("reasoner", load_experiment("cpu-tiny", common), tmp_path / "rea")
    decode = load_experiment("cpu-s2").decode  # the fitted root-depth offsets travel with the bundle
    path = export_bundle(tmp_path / "b.pt", {"reasoner": rea.weights}, det.bundle, decode=decode)
    b = load_bundle(path)
    assert b.codec_config.stride == 2 and b.detector.stride == 2 and b.reasoner.stride == 2
    assert b.decode_params == decode and decode.delta_shoulders_mm != 0
    pred = Predictor(path)
    assert pred.method.decode_params == decode
    assert pred.codec_params.stride == 2 and (pred.codec_params.map_w, pred.codec_params.map_h) == (48, 32)
    rs = RecordSet.load(tiny_records)
    img = cv2.imread(str(rs.image_path(rs.records[0])))
    raw = pred.method.infer(np.stack([cv2.resize(img, (96, 64))]))[0]
    assert raw["maps57"].shape == (57, 32, 48) and raw["root_depth"].shape == (7, 32, 48)
    out = pred(img, K=rs.records[0].intrinsics)
    assert out.joint_state.shape == (out.num_persons, 15)


def test_stride_must_match_across_stages(tmp_path, tiny, tiny_records):
    common = tiny + [f"data.train=[{tiny_records}]", "train.checkpoint_every=100",
                     "train.detector.steps=1", "train.detector.batch_size=2", "train.reasoner.steps=1",
                     "train.reasoner.batch_size=2", "data.reasoner_source=records"]
    det = run_stage("detector", load_experiment("cpu-tiny", common), tmp_path / "det")
    rea = run_stage("reasoner", load_experiment("cpu-tiny", common + ["codec.stride=2"]), tmp_path / "rea")
    with pytest.raises(HuporError, match="output stride 2"):
        export_bundle(tmp_path / "b.pt", {"reasoner": rea.weights}, det.bundle)


def test_bad_stride_is_a_config_error():
    with pytest.raises(HuporError, match="codec.stride"):
        load_experiment("cpu-tiny", ["codec.stride=3"])
