"""Tiny datasets and configs for the training tests (96x64 inputs, a few-thousand-parameter nets)."""

import pytest
from train_helpers import make_records

TINY = [
    "input.net_w=96", "input.net_h=64",
    "model.detector.stages=1", "model.detector.blocks=[1,1,1,1]", "model.detector.widths=[4,4,8,8]",
    "model.detector.stem_width=8", "model.detector.decoder_width=8",
    "model.reasoner.stages=1", "model.reasoner.blocks=[1,1,1,1]", "model.reasoner.widths=[4,4,8,8]",
    "model.reasoner.decoder_width=8",
    "model.refiner.hidden=16", "model.refiner.layers=2",
    "train.progress_bar=false", "train.threads=1", "train.log_every=1",
    "data.augment.jitter_px=4",
]


@pytest.fixture
def tiny_records(tmp_path):
    return make_records(tmp_path / "data")


@pytest.fixture
def tiny():
    return list(TINY)
