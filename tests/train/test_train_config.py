import pytest

from hupor.errors import HuporError
from hupor.train.checkpoint import LRSchedule
from hupor.train.config import ExperimentConfig, load_experiment


def test_bundled_experiments_load():
    paper = load_experiment("paper")
    tiny = load_experiment("cpu-tiny")
    assert paper.input.net_w == 832 and paper.train.detector.steps == 192000
    assert paper.train.strategy == "ddp" and paper.data.mix_ratio == 0.5
    assert tiny.input.net_w == 256 and tiny.train.accelerator == "cpu"
    assert isinstance(tiny, ExperimentConfig)


def test_overrides_and_roundtrip(tmp_path):
    cfg = load_experiment("cpu-tiny", ["train.detector.steps=7", "train.devices=2", "data.train=[a.json]",
                                       "model.detector.stages=1"])
    assert cfg.train.detector.steps == 7 and cfg.train.devices == 2 and cfg.data.train == ["a.json"]
    assert cfg.model.detector.stages == 1
    assert cfg.train.reasoner.steps == 400  # untouched sections keep the file's values
    again = ExperimentConfig.from_dict(cfg.to_dict())
    assert again == cfg


@pytest.mark.parametrize("override, message", [
    ("train.detector.lrr=1", "unknown key 'lrr'"),
    ("train.detector.lr=fast", "train.detector.lr: expected a number"),
    ("train.detector.lr=-1", "train.detector.lr: must be positive"),
    ("train.detector.steps=0", "train.detector: need steps > 0 or epochs > 0"),
    ("train.refiner.decay=cosine", "train.refiner.decay: must be one of"),
    ("train.checkpoint_every=0", "train.checkpoint_every"),
    ("data.mix_ratio=1.5", "data.mix_ratio"),
    ("data.reasoner_source=web", "data.reasoner_source: must be one of"),
    ("data.augment.flip_prob=3", "flip_prob"),
    ("data.train=abc", "data.train: expected a list"),
    ("trainer.steps=3", "unknown key 'trainer'"),
    ("input.net_w=100", "input.net_w: must be a positive multiple of 32"),
])
def test_bad_values_raise_clear_errors(override, message):
    with pytest.raises(HuporError, match=message.replace("(", r"\(")):
        load_experiment("cpu-tiny", [override])


def test_unknown_config_file():
    with pytest.raises(HuporError, match="no such file"):
        load_experiment("missing.yaml")


def test_lr_schedule_warmup_and_decays():
    s = LRSchedule(100, warmup_steps=10, warmup_factor=0.1, decay="linear")
    assert s(0) == pytest.approx(0.1) and s(5) == pytest.approx(0.55) and s(10) == pytest.approx(1.0)
    assert s(55) == pytest.approx(0.5) and s(100) == 0.0
    st = LRSchedule(100, decay="step", step_every=30, gamma=0.5)
    assert st(29) == 1.0 and st(30) == 0.5 and st(95) == 0.125
