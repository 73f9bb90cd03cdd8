"""A 2-process CPU DDP run (ddp_spawn, gloo) of the refiner stage completes and trains the weights."""

import numpy as np
import torch

from hupor.train.config import load_experiment
from hupor.train.run import run_stage


def test_two_process_cpu_ddp(tmp_path, tiny):
    rng = np.random.default_rng(0)
    f = rng.normal(size=(256, 15, 5)).astype(np.float32)
    t = (f[..., :3] * 10).astype(np.float32)
    np.savez(tmp_path / "pairs.npz", features=f, target=t)
    cfg = load_experiment("cpu-tiny", tiny + [
        f"data.pairs=[{tmp_path / 'pairs.npz'}]", "train.devices=2", "train.strategy=ddp_spawn",
        "train.refiner.steps=6", "train.refiner.epochs=0", "train.refiner.batch_size=32",
        "train.checkpoint_every=3"])
    torch.manual_seed(0)
    res = run_stage("refiner", cfg, tmp_path / "ddp")
    # with spawn the parent's step counter stays 0, but rank 0's weights and metrics come back
    assert np.isfinite(res.metrics["train/loss"])
    saved = torch.load(res.weights, weights_only=True)["state_dict"]
    from hupor.train.modules import RefinerModule
    import lightning as L

    L.seed_everything(cfg.train.seed)
    init = RefinerModule(cfg).refiner.state_dict()
    changed = [k for k in init if init[k].is_floating_point() and not torch.equal(init[k], saved[k])]
    assert len(changed) > 0
    ckpt = torch.load(tmp_path / "ddp" / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 6
