"""The reasoner trained on a frozen detector's outputs (``data.reasoner_source=detector``)."""

import pytest
import torch

from hupor.errors import HuporError
from hupor.nets import load_bundle
from hupor.train.config import load_experiment
from hupor.train.run import run_stage


def test_reasoner_learns_from_frozen_detector_outputs(tmp_path, tiny, tiny_records):
    common = tiny + [f"data.train=[{tiny_records}]", "train.checkpoint_every=100",
                     "train.detector.steps=2", "train.detector.batch_size=2"]
    det = run_stage("detector", load_experiment("cpu-tiny", common), tmp_path / "det")
    cfg = load_experiment("cpu-tiny", common + [
        "data.reasoner_source=detector", f"data.val=[{tiny_records}]", "train.reasoner.steps=4",
        "train.reasoner.batch_size=2", "train.reasoner.warmup_steps=1", "train.checkpoint_every=4"])
    with pytest.raises(HuporError, match="--bundle"):
        run_stage("reasoner", cfg, tmp_path / "no-bundle")
    res = run_stage("reasoner", cfg, tmp_path / "rea", base_bundle=det.bundle)
    assert res.global_step == 4 and torch.isfinite(torch.tensor(res.metrics["train/loss"]))
    assert "val/occ_hm_err" in res.metrics
    before, after = load_bundle(det.bundle), load_bundle(res.bundle)
    assert after.reasoner is not None
    for k, v in before.detector.state_dict().items():  # the detector stayed frozen
        torch.testing.assert_close(after.detector.state_dict()[k], v)
    weights = torch.load(res.weights, weights_only=True)["state_dict"]
    assert not any(k.startswith("frozen_detector") for k in weights)
