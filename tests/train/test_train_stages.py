"""A tiny run of each stage lowers its loss; stage weights and bundles round-trip."""

import csv
from pathlib import Path

import numpy as np
import pytest
import lightning as L
import torch
from torch.utils.data import default_collate

from hupor.errors import HuporError
from hupor.nets import load_bundle
from hupor.train.config import load_experiment
from hupor.train.data import build_data
from hupor.train.modules import ReasonerModule
from hupor.train.export import export_bundle
from hupor.train.run import run_stage


def train_losses(out_dir) -> list[float]:
    files = sorted(Path(out_dir).glob("logs/version_*/metrics.csv"))
    rows = [r for f in files for r in csv.DictReader(open(f))]
    return [float(r["train/loss"]) for r in rows if r.get("train/loss")]


def make_pairs(path, n=512, seed=0):
    """Pairs whose target is a fixed function of the features (learnable)."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 15, 5)).astype(np.float32)
    t = np.tanh(f[..., 2:5] + 0.5 * f[..., 0:1]).astype(np.float32) * 20
    t[:, 2] = 0
    np.savez(path, features=f, target=t)
    return str(path)


def test_detector_loss_decreases_and_writes_bundle(tmp_path, tiny, tiny_records):
    cfg = load_experiment("cpu-tiny", tiny + [
        f"data.train=[{tiny_records}]", "train.detector.steps=30", "train.detector.batch_size=2",
        "train.detector.warmup_steps=3", "train.detector.lr=0.05", "train.checkpoint_every=100",
        "data.augment.enabled=false"])
    res = run_stage("detector", cfg, tmp_path / "det")
    losses = train_losses(tmp_path / "det")
    assert len(losses) == 30
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])
    b = load_bundle(res.bundle)
    assert b.reasoner is None and b.input_config.net_w == 96
    for k, v in b.detector.state_dict().items():
        torch.testing.assert_close(v, res_module_state(res.weights)[k])


def res_module_state(path):
    return torch.load(path, weights_only=True)["state_dict"]


def test_reasoner_loss_decreases_on_records(tmp_path, tiny, tiny_records):
    cfg = load_experiment("cpu-tiny", tiny + [
        f"data.train=[{tiny_records}]", f"data.val=[{tiny_records}]", "data.reasoner_source=records",
        "train.reasoner.steps=30", "train.reasoner.batch_size=2", "train.reasoner.warmup_steps=3",
        "train.reasoner.lr=0.005", "train.checkpoint_every=30"])
    L.seed_everything(cfg.train.seed)
    module = ReasonerModule(cfg).eval()  # the run's initial weights (same seed)
    data = build_data("reasoner", cfg)
    batch = default_collate([data.val[i] for i in range(len(data.val))])
    with torch.no_grad():
        before = module.evaluate(batch)
    res = run_stage("reasoner", cfg, tmp_path / "rea")
    assert len(train_losses(tmp_path / "rea")) == 30
    assert res.metrics["val/loss"] < 0.8 * float(before["total"])
    module.reasoner.load_state_dict(res_module_state(res.weights))
    with torch.no_grad():
        after = module.evaluate(batch)
    assert float(after["total"]) == pytest.approx(res.metrics["val/loss"], rel=1e-4)
    assert res.bundle is None
    assert res.metrics["train/omega"] == pytest.approx(1.0)


def test_refiner_loss_decreases_and_export_combines(tmp_path, tiny, tiny_records):
    pairs = make_pairs(tmp_path / "pairs.npz")
    cfg = load_experiment("cpu-tiny", tiny + [
        f"data.pairs=[{pairs}]", f"data.val_pairs=[{pairs}]", "train.refiner.epochs=12",
        "train.refiner.batch_size=64", "train.refiner.lr=0.01", "train.refiner.step_every=100",
        "train.checkpoint_every=1000"])
    res = run_stage("refiner", cfg, tmp_path / "ref")
    losses = train_losses(tmp_path / "ref")
    assert len(losses) == 12 * 8
    assert np.mean(losses[-8:]) < 0.5 * np.mean(losses[:8])
    assert res.metrics["val/loss"] < 0.5 * np.mean(losses[:8])
    # --init: a new run starts from these weights
    class StartWeights(L.Callback):
        def on_train_start(self, trainer, pl_module):
            self.state = {k: v.clone() for k, v in pl_module.refiner.state_dict().items()}

    cb = StartWeights()
    run_stage("refiner", cfg, tmp_path / "ref2", init=res.weights, callbacks=[cb])
    for k, v in res_module_state(res.weights).items():
        torch.testing.assert_close(cb.state[k], v)
    # combine with a detector into one bundle
    det_cfg = load_experiment("cpu-tiny", tiny + [f"data.train=[{tiny_records}]", "train.detector.steps=1",
                                                  "train.checkpoint_every=100"])
    det = run_stage("detector", det_cfg, tmp_path / "det")
    out = export_bundle(tmp_path / "all.pt", {"refiner": res.weights}, det.bundle)
    b = load_bundle(out)
    assert b.refiner is not None and b.reasoner is None
    feat = torch.from_numpy(np.load(pairs)["features"][:4])
    res_net = b.refiner
    ref = res_module_state(res.weights)
    for k, v in res_net.state_dict().items():
        torch.testing.assert_close(v, ref[k])
    assert res_net(feat).shape == (4, 15, 3)
    with pytest.raises(HuporError, match="holds the 'refiner' stage"):
        export_bundle(tmp_path / "bad.pt", {"reasoner": res.weights}, det.bundle)
    with pytest.raises(HuporError, match="needs a detector"):
        export_bundle(tmp_path / "bad.pt", {"refiner": res.weights})


def test_missing_data_is_a_clear_error(tmp_path, tiny):
    cfg = load_experiment("cpu-tiny", tiny)
    with pytest.raises(HuporError, match="data.train"):
        run_stage("detector", cfg, tmp_path / "x")
    with pytest.raises(HuporError, match="data.pairs"):
        run_stage("refiner", cfg, tmp_path / "y")
    with pytest.raises(HuporError, match="no checkpoint"):
        run_stage("detector", cfg, tmp_path / "z", resume=True)


def test_channels_last_training_matches_the_default_layout(tmp_path, tiny, tiny_records):
    """train.channels_last only changes the memory layout: same losses up to float rounding."""
    common = tiny + [f"data.train=[{tiny_records}]", "train.detector.steps=3", "train.detector.batch_size=2",
                     "train.checkpoint_every=100", "data.augment.enabled=false"]
    seen = []

    class Layout(L.Callback):
        def on_train_batch_start(self, trainer, module, batch, batch_idx):
            w = module.detector.stem[0][0].weight
            seen.append(w.is_contiguous(memory_format=torch.channels_last) and not w.is_contiguous())

    run_stage("detector", load_experiment("cpu-tiny", common), tmp_path / "a", callbacks=[Layout()])
    run_stage("detector", load_experiment("cpu-tiny", common + ["train.channels_last=true"]), tmp_path / "b",
              callbacks=[Layout()])
    assert seen == [False] * 3 + [True] * 3
    np.testing.assert_allclose(train_losses(tmp_path / "b"), train_losses(tmp_path / "a"), rtol=1e-3)


def test_image_input_reasoner_trains_on_rendered_records(tmp_path, tiny, tiny_records):
    cfg = load_experiment("cpu-tiny", tiny + [
        f"data.train=[{tiny_records}]", f"data.val=[{tiny_records}]", "data.reasoner_source=records",
        "model.reasoner.image_input=true", "model.reasoner.image_width=4",
        "train.reasoner.steps=4", "train.reasoner.batch_size=2", "train.checkpoint_every=4"])
    data = build_data("reasoner", cfg)
    assert data.groups[0][(0, 1)]["image"].shape == (3, cfg.input.net_h, cfg.input.net_w)
    res = run_stage("reasoner", cfg, tmp_path / "rea")
    assert res.global_step == 4 and np.isfinite(res.metrics["val/loss"])
    synth = load_experiment("cpu-tiny", tiny + ["model.reasoner.image_input=true"])
    with pytest.raises(HuporError, match="rendered records"):
        build_data("reasoner", synth)


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_student_decode_trains_the_inference_path(tiny, tiny_records, weight):
    """Without distillation the stage-0 student gets no gradient (the decoder reads the teacher);
    ``student_decode`` > 0 trains the inference path as well."""
    cfg = load_experiment("cpu-tiny", tiny + [
        f"data.train=[{tiny_records}]", f"data.val=[{tiny_records}]", "data.reasoner_source=records",
        "model.reasoner.supervised_blocks=[]",
        f"model.reasoner.student_decode={weight}"])
    module = ReasonerModule(cfg).train()
    module.total_steps = lambda: 10
    data = build_data("reasoner", cfg)
    batch = default_collate([data.val[i] for i in range(2)])
    loss = module.training_step(batch, 0)
    loss.backward()
    grads = [p.grad for p in module.reasoner.students[0].parameters()]
    has_grad = any(g is not None and float(g.abs().sum()) > 0 for g in grads)
    assert has_grad == (weight > 0)
