"""hupor.bench.experiment: the timing benchmarks' networks follow the config's codec section."""

import numpy as np
import pytest
import torch

from hupor.bench.experiment import experiment_networks, save_random_bundle, scene_maps
from hupor.codec import CodecParams
from hupor.errors import HuporError
from hupor.nets import load_bundle, load_model_config
from hupor.train.config import load_experiment


@pytest.mark.parametrize("name, stride", [("cpu-s2", 2), ("cpu-tiny", 4)])
def test_networks_take_the_configs_stride(name, stride):
    exp, det, rea, ref = experiment_networks(name)
    assert exp.codec_params.stride == stride == det.stride == rea.stride
    assert not det.training and not rea.training and not ref.training
    x = torch.zeros(1, 3, exp.input.net_h, exp.input.net_w)
    with torch.inference_mode():
        maps2d, _, _ = det.infer(x)
    assert maps2d.shape[-2:] == (exp.codec_params.map_h, exp.codec_params.map_w)


def test_the_old_loader_loses_the_stride():
    """The bug this module fixes: the model/input sections alone give stride-4 networks for cpu-s2."""
    model, _ = load_model_config("cpu-s2")
    from hupor.nets import Detector

    assert Detector(model.detector).stride == 4 != experiment_networks("cpu-s2")[1].stride


def test_overrides_and_loaded_configs():
    exp, det, _, _ = experiment_networks("cpu-s2", ["codec.stride=4"])
    assert det.stride == exp.codec_params.stride == 4
    same = experiment_networks(load_experiment("cpu-s2"))[1]
    assert same.stride == 2
    with pytest.raises(HuporError, match="overrides"):
        experiment_networks(load_experiment("cpu-s2"), ["codec.stride=4"])


def test_saved_bundle_carries_codec_and_decode(tmp_path):
    exp = load_experiment("cpu-s2")
    b = load_bundle(save_random_bundle(tmp_path / "r.pt", exp))
    assert b.codec_config.stride == 2 and b.detector.stride == 2
    assert b.decode_params == exp.decode
    assert b.codec_params() == exp.codec_params


@pytest.mark.parametrize("stride", [2, 4])
def test_scene_maps_at_the_stride(stride):
    p = CodecParams(net_w=256, net_h=160, stride=stride)
    rec, maps, rd, lb = scene_maps(p, 3)
    assert rec.num_persons == 3
    assert maps.shape == (15 + 3 * 14, p.map_h, p.map_w) and rd.shape == (7, p.map_h, p.map_w)
    assert np.isfinite(rd).all() and maps[:15].max() > 0.5 * p.heatmap_peak
    assert lb.scale == 1.0
