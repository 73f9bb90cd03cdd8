import zipfile

import pytest
import torch

from hupor.config import to_dict
from hupor.errors import HuporError
from hupor.nets import RefineNet, build_models, load_bundle, load_model_config, save_bundle
from hupor.nets.config import RefinerConfig


def _tiny():
    model, inp = load_model_config("cpu-tiny")
    return model, {"model": to_dict(model), "input": to_dict(inp), "train": {"note": "kept as is"}}


def test_round_trip_weights_only(tmp_path):
    torch.manual_seed(0)
    model, config = _tiny()
    det, dsed, ref = build_models(model)
    x = torch.randn(1, 3, 64, 96)
    for net in (det, dsed, ref):
        net.eval()
    path = save_bundle(tmp_path / "m.pt", config, det, dsed, ref)
    raw = torch.load(path, weights_only=True)          # plain data only
    assert raw["format"] == "hupor-bundle" and raw["skeleton"]["name"] == "mpi15"
    b = load_bundle(path)
    assert b.config == config and b.model_config == model and b.input_config.net_w == 256
    assert b.skeleton.num_joints == 15 and not b.detector.training
    with torch.no_grad():
        for got, want in zip(b.detector.infer(x), det.infer(x)):
            torch.testing.assert_close(got, want)
        m57 = torch.randn(1, 57, 16, 24)
        torch.testing.assert_close(b.reasoner.infer(m57), dsed.infer(m57))
        f = torch.randn(2, 15, 5)
        torch.testing.assert_close(b.refiner(f), ref(f))
    assert path.stat().st_size < 10e6


def test_detector_only_bundle(tmp_path):
    model, config = _tiny()
    det, _, _ = build_models(model)
    b = load_bundle(save_bundle(tmp_path / "d.pt", config, det))
    assert b.reasoner is None and b.refiner is None


def test_corrupt_and_foreign_files_raise_naming_the_file(tmp_path):
    model, config = _tiny()
    det, _, _ = build_models(model)
    good = save_bundle(tmp_path / "good.pt", config, det)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    for path in (truncated, garbage, foreign, tmp_path / "missing.pt"):
        with pytest.raises(HuporError, match=path.name):
            load_bundle(path)
    assert zipfile.is_zipfile(good)


def test_mismatching_weights_and_configs(tmp_path):
    model, config = _tiny()
    det, _, ref = build_models(model)
    with pytest.raises(HuporError, match="refiner's config differs"):
        save_bundle(tmp_path / "x.pt", config, det, refiner=RefineNet(RefinerConfig(kind="mlp")))
    path = save_bundle(tmp_path / "m.pt", config, det, refiner=ref)
    data = torch.load(path, weights_only=True)
    data["config"]["model"]["refiner"]["hidden"] = 32
    torch.save(data, path)
    with pytest.raises(HuporError, match="refiner weights do not match"):
        load_bundle(path)


def test_accepts_config_dataclass(tmp_path):
    from hupor.train.config import load_experiment

    exp = load_experiment("cpu-tiny")
    det, dsed, _ = build_models(exp.model)
    b = load_bundle(save_bundle(tmp_path / "e.pt", exp, det, dsed))
    assert b.model_config == exp.model and b.config["input"]["net_h"] == exp.input.net_h
