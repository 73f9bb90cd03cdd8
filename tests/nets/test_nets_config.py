import dataclasses

import pytest

from hupor.codec.params import CodecConfig
from hupor.config import from_dict, to_dict
from hupor.errors import HuporError
from hupor.nets.config import (DetectorConfig, InputConfig, ModelConfig, ReasonerConfig, RefinerConfig,
                               load_model_config)


def test_defaults_are_the_paper_sizes():
    m = ModelConfig()
    assert m.detector.stages == 3 and m.detector.blocks == (3, 4, 6, 3)
    assert m.reasoner.kind == "dsed" and m.reasoner.stages == 2 and m.reasoner.widths[0] == 57
    assert m.reasoner.supervised_blocks == (1, 2, 3, 4) and m.reasoner.z_scale == 50.0
    assert m.refiner.kind == "gcn" and m.refiner.hidden == 128 and m.refiner.layers == 4
    p = CodecConfig().params(InputConfig().net_w, InputConfig().net_h)
    assert (p.map_h, p.map_w, p.stride) == (128, 208, 4)


def test_round_trip_through_plain_dict():
    m = ModelConfig(reasoner=ReasonerConfig(kind="hg", supervised_blocks=(4,)))
    assert from_dict(ModelConfig, to_dict(m)) == m


@pytest.mark.parametrize("make, field", [
    (lambda: DetectorConfig(stages=0), "stages"),
    (lambda: DetectorConfig(widths=(8, 8, 0, 8)), "widths"),
    (lambda: ReasonerConfig(supervised_blocks=(5,)), "supervised_blocks"),
    (lambda: ReasonerConfig(supervised_blocks=(1, 1)), "supervised_blocks"),
    (lambda: ReasonerConfig(omega_ramp_fraction=1.5), "omega_ramp_fraction"),
    (lambda: ReasonerConfig(kind="unet"), "kind"),
    (lambda: RefinerConfig(layers=3), "layers"),
    (lambda: RefinerConfig(dropout=1.0), "dropout"),
    (lambda: InputConfig(net_w=100), "net_w"),
])
def test_invalid_values_raise_naming_the_field(make, field):
    with pytest.raises(HuporError, match=field):
        make()


def test_from_dict_rejects_bad_types_and_keys():
    with pytest.raises(HuporError, match="stages"):
        from_dict(ModelConfig, {"detector": {"stages": "three"}})
    with pytest.raises(HuporError, match="kind"):
        from_dict(ModelConfig, {"reasoner": {"kind": "transformer"}})
    with pytest.raises(HuporError, match="depth"):
        from_dict(ModelConfig, {"detector": {"depth": 50}})


def test_bundled_configs_load():
    paper, inp = load_model_config("paper")
    assert paper == ModelConfig() and (inp.net_w, inp.net_h) == (832, 512)
    tiny, tinp = load_model_config("cpu-tiny", ["model.reasoner.kind=hg"])
    assert tiny.reasoner.kind == "hg" and tiny.detector.blocks == (1, 1, 1, 1)
    assert tinp.net_w % 32 == 0 and tinp.net_h % 32 == 0
    assert dataclasses.replace(tiny.detector, stages=3).stages == 3
