"""Reduced-precision training (train.precision: bf16-mixed): networks in bf16, losses in fp32; crops."""

import numpy as np
import torch
from torch.utils.data import default_collate

from hupor.train.config import load_experiment
from hupor.train.data import build_data
from hupor.train.modules import DetectorModule, ReasonerModule, fp32_loss
from hupor.train.run import run_stage
from test_train_stages import train_losses


def test_fp32_loss_turns_autocast_off_and_casts_inputs():
    seen = {}

    def loss(a, b):
        seen["autocast"] = torch.is_autocast_enabled("cpu")
        seen["dtypes"] = (a.dtype, b["x"].dtype)
        return (a @ a.T).sum()

    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = fp32_loss(loss, torch.ones(3, 3, dtype=torch.bfloat16), b={"x": torch.zeros(2, dtype=torch.bfloat16)})
    assert seen == {"autocast": False, "dtypes": (torch.float32, torch.float32)}
    assert out.dtype == torch.float32


def test_stage_losses_are_fp32_under_bf16_autocast(tiny, tiny_records):
    cfg = load_experiment("cpu-tiny", tiny + [f"data.train=[{tiny_records}]", "data.reasoner_source=records"])
    for stage, module in (("detector", DetectorModule(cfg)), ("reasoner", ReasonerModule(cfg))):
        ds = build_data(stage, cfg).groups[0]
        batch = default_collate([ds[(i, i)] for i in range(2)])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            if stage == "detector":
                terms = module._loss(batch)
            else:
                terms = module.evaluate(batch)
        assert all(v.dtype == torch.float32 for v in terms.values()), stage
        assert all(torch.isfinite(v).all() for v in terms.values()), stage


def test_bf16_detector_run_on_crops_lowers_its_loss(tmp_path, tiny, tiny_records):
    cfg = load_experiment("cpu-tiny", tiny + [
        "input.net_w=128", "input.net_h=96", f"data.train=[{tiny_records}]", "train.detector.steps=30",
        "train.detector.batch_size=2", "train.detector.warmup_steps=3", "train.detector.lr=0.05",
        "train.checkpoint_every=100", "train.precision=bf16-mixed", "train.channels_last=true",
        "data.augment.crop_w=96", "data.augment.crop_h=64", "data.augment.rotation_deg=0"])
    run_stage("detector", cfg, tmp_path / "det")
    losses = train_losses(tmp_path / "det")
    assert len(losses) == 30 and np.isfinite(losses).all()
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])


def test_auto_precision_follows_the_cpu_flags(tmp_path):
    from hupor.train.precision import resolve_precision

    avx2 = tmp_path / "avx2"
    avx2.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu avx2\n")
    bf16 = tmp_path / "bf16"
    bf16.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\n")
    assert resolve_precision("auto", "cpu", avx2) == "32-true"
    assert resolve_precision("auto", "cpu", bf16) == "bf16-mixed"
    assert resolve_precision("auto", "cpu", tmp_path / "missing") == "32-true"
    assert resolve_precision("16-mixed", "cpu", bf16) == "16-mixed"      # an explicit value stays
    cfg = load_experiment("cpu-tiny", ["train.precision=auto"])
    assert cfg.train.precision == "auto"
