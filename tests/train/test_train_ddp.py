"""2-process CPU DDP runs (ddp_spawn, gloo) of the refiner stage: they train, the replicas agree, the
ranks see disjoint shards, the result equals a 1-process run with the same global batch (BN-free),
and a killed DDP run resumes on the same shards."""

import numpy as np
import pytest
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


import lightning as L  # noqa: E402


class RecordRanks(L.Callback):
    """Writes, per rank, the ids of the samples it trained on and its final weights (ddp_spawn pickles
    callbacks into the worker processes, so the results come back through files)."""

    def __init__(self, folder):
        self.folder, self.ids = str(folder), []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.ids.extend(batch[0][:, 0, 0].tolist())

    def on_train_end(self, trainer, pl_module):
        torch.save({"ids": torch.tensor(self.ids),
                    "state": {k: v.detach().cpu() for k, v in pl_module.refiner.state_dict().items()}},
                   f"{self.folder}/rank{trainer.global_rank}.pt")


def test_ddp_replicas_agree_and_ranks_see_different_shards(tmp_path, tiny):
    rng = np.random.default_rng(1)
    n = 128
    f = rng.normal(size=(n, 15, 5)).astype(np.float32)
    f[:, 0, 0] = np.arange(n)                      # a sample id in every feature row
    t = (f[..., :3] * 10).astype(np.float32)
    np.savez(tmp_path / "pairs.npz", features=f, target=t)
    batch, steps = 16, 4                          # 2 ranks x 4 steps x 16 = one epoch of 128
    cfg = load_experiment("cpu-tiny", tiny + [
        f"data.pairs=[{tmp_path / 'pairs.npz'}]", "train.devices=2", "train.strategy=ddp_spawn",
        f"train.refiner.steps={steps}", "train.refiner.epochs=0", f"train.refiner.batch_size={batch}"])
    run_stage("refiner", cfg, tmp_path / "ddp", callbacks=[RecordRanks(tmp_path)])
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    for k, v in r0["state"].items():                # DDP keeps the replicas identical
        if v.is_floating_point() and "running" not in k:
            torch.testing.assert_close(v, r1["state"][k], msg=f"replicas differ at {k}")
    ids0, ids1 = set(r0["ids"].long().tolist()), set(r1["ids"].long().tolist())
    assert len(r0["ids"]) == len(r1["ids"]) == steps * batch
    assert not ids0 & ids1                           # each rank its own shard, no sample twice
    assert len(ids0 | ids1) == n


def _id_pairs(tmp_path, n):
    rng = np.random.default_rng(2)
    f = rng.normal(size=(n, 15, 5)).astype(np.float32)
    f[:, 0, 0] = np.arange(n)                      # a sample id in every feature row
    t = (np.tanh(f[..., 2:5]) * 10).astype(np.float32)
    np.savez(tmp_path / "pairs.npz", features=f, target=t)
    return [f"data.pairs=[{tmp_path / 'pairs.npz'}]", "train.refiner.epochs=0", "model.refiner.batch_norm=false",
            "model.refiner.dropout=0.0", "train.refiner.lr=0.01"]


def _refiner_weights(ckpt_path):
    sd = torch.load(ckpt_path, weights_only=True)["state_dict"]
    return {k: v for k, v in sd.items() if k.startswith("refiner.")}


def test_ddp_equals_one_process_with_the_same_global_batch(tmp_path, tiny):
    """BatchNorm-free, dropout-free refiner: 2 ranks × 16 = the 1-process batch of 32, same samples
    (the ranks split each global batch), so the averaged gradients and the weights agree."""
    data = _id_pairs(tmp_path, 128)
    ddp = load_experiment("cpu-tiny", tiny + data + [
        "train.devices=2", "train.strategy=ddp_spawn", "train.refiner.steps=4", "train.refiner.batch_size=16"])
    one = load_experiment("cpu-tiny", tiny + data + ["train.refiner.steps=4", "train.refiner.batch_size=32"])
    run_stage("refiner", ddp, tmp_path / "ddp")
    run_stage("refiner", one, tmp_path / "one")
    a = _refiner_weights(tmp_path / "ddp" / "checkpoints" / "last.ckpt")
    b = _refiner_weights(tmp_path / "one" / "checkpoints" / "last.ckpt")
    assert a.keys() == b.keys() and not any("bn" in k or "running" in k for k in a)
    init = load_experiment("cpu-tiny", tiny + data + ["train.refiner.steps=4"])
    L.seed_everything(init.train.seed)
    from hupor.train.modules import RefinerModule

    start = RefinerModule(init).refiner.state_dict()
    assert any(not torch.equal(start[k[len("refiner."):]], v) for k, v in a.items())   # it trained
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5, msg=f"DDP and 1-process differ at {k}")


def test_resumed_ddp_run_continues_on_the_same_shards(tmp_path, tiny):
    """Killed after the mid-epoch step-2 checkpoint (4 batches per epoch), resumed with 2 ranks: each
    rank trains on the samples the uninterrupted run gave it, and the weights end the same."""
    data = _id_pairs(tmp_path, 128)
    cfg = load_experiment("cpu-tiny", tiny + data + [
        "train.devices=2", "train.strategy=ddp_spawn", "train.refiner.steps=6", "train.refiner.batch_size=16",
        "train.checkpoint_every=2"])
    (tmp_path / "full").mkdir()
    (tmp_path / "resumed").mkdir()
    run_stage("refiner", cfg, tmp_path / "full-run", callbacks=[RecordRanks(tmp_path / "full")])
    from train_helpers import KillAt

    with pytest.raises(Exception, match="killed at step 3"):
        run_stage("refiner", cfg, tmp_path / "killed", callbacks=[KillAt(3)])
    run_stage("refiner", cfg, tmp_path / "killed", resume=True, callbacks=[RecordRanks(tmp_path / "resumed")])
    for r in (0, 1):
        full = torch.load(tmp_path / "full" / f"rank{r}.pt", weights_only=True)["ids"].long()
        tail = torch.load(tmp_path / "resumed" / f"rank{r}.pt", weights_only=True)["ids"].long()
        assert len(full) == 6 * 16 and len(tail) == 4 * 16
        assert torch.equal(full[2 * 16:], tail), f"rank {r} resumed on other samples"
    a = _refiner_weights(tmp_path / "full-run" / "checkpoints" / "last.ckpt")
    b = _refiner_weights(tmp_path / "killed" / "checkpoints" / "last.ckpt")
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=f"resumed DDP run differs at {k}")
