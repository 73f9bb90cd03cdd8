"""Kill-and-resume: a run stopped after its step-2 checkpoint continues with the same step, optimiser
state and LR schedule, and ends exactly where an uninterrupted run ends."""

import lightning as L
import pytest
import torch

from hupor.train.checkpoint import LRSchedule, load_checkpoint
from hupor.train.config import load_experiment
from hupor.train.run import run_stage
from train_helpers import KillAt, Killed


class RecordStart(L.Callback):
    def on_train_start(self, trainer, pl_module):
        opt = trainer.optimizers[0]
        sched = trainer.lr_scheduler_configs[0].scheduler
        self.step = trainer.global_step
        self.last_epoch = sched.last_epoch
        self.lr = opt.param_groups[0]["lr"]
        self.opt_state = {k: {n: v.clone() if torch.is_tensor(v) else v for n, v in s.items()}
                          for k, s in opt.state_dict()["state"].items()}


def _cfg(tiny, records):
    return load_experiment("cpu-tiny", tiny + [
        f"data.train=[{records}]", "data.augment.enabled=false", "train.checkpoint_every=2",
        "train.detector.steps=4", "train.detector.batch_size=2", "train.detector.warmup_steps=2",
        "train.detector.lr=0.01"])


def test_kill_and_resume_restores_step_optimizer_and_schedule(tmp_path, tiny, tiny_records):
    cfg = _cfg(tiny, tiny_records)
    full = run_stage("detector", cfg, tmp_path / "full")
    assert full.global_step == 4

    with pytest.raises(Killed):
        run_stage("detector", cfg, tmp_path / "killed", callbacks=[KillAt(3)])
    saved = load_checkpoint(tmp_path / "killed" / "checkpoints" / "last.ckpt")
    assert saved["global_step"] == 2
    assert saved["hupor"]["stage"] == "detector" and saved["hupor"]["skeleton"]["name"] == "mpi15"
    assert saved["hupor"]["config"]["train"]["detector"]["steps"] == 4
    assert "torch" in saved["hupor"]["versions"]

    rec = RecordStart()
    resumed = run_stage("detector", cfg, tmp_path / "killed", resume=True, callbacks=[rec])
    # restored where the checkpoint left off
    assert rec.step == 2
    assert rec.last_epoch == saved["lr_schedulers"][0]["last_epoch"] == 2
    assert rec.lr == pytest.approx(0.01 * LRSchedule(4, 2, 0.1, "linear")(2))
    saved_state = saved["optimizer_states"][0]["state"]
    assert set(rec.opt_state) == set(saved_state) and len(saved_state) > 0
    for k, s in saved_state.items():
        for name in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(rec.opt_state[k][name], s[name])
    # ...and ends exactly where the uninterrupted run ends
    assert resumed.global_step == 4
    a = load_checkpoint(tmp_path / "full" / "checkpoints" / "last.ckpt")
    b = load_checkpoint(tmp_path / "killed" / "checkpoints" / "last.ckpt")
    assert a["lr_schedulers"][0] == b["lr_schedulers"][0]
    for k in a["state_dict"]:
        torch.testing.assert_close(a["state_dict"][k], b["state_dict"][k], rtol=1e-5, atol=1e-6)
    for k, s in a["optimizer_states"][0]["state"].items():
        torch.testing.assert_close(s["exp_avg"], b["optimizer_states"][0]["state"][k]["exp_avg"],
                                   rtol=1e-5, atol=1e-7)


def test_resume_mid_epoch_with_augmentation_is_bit_for_bit(tmp_path, tiny):
    """8 images in batches of 2 = 4 batches per epoch; the step-3 checkpoint is mid-epoch, augmentation
    (flip, rotation, jitter, scale) is on: the resumed run must draw the same batches, the same
    augmentations and the same dropout, and end exactly where the uninterrupted run ends."""
    from train_helpers import make_records

    records = make_records(tmp_path / "data", n_images=8)
    cfg = load_experiment("cpu-tiny", tiny + [
        f"data.train=[{records}]", "data.augment.enabled=true", "data.augment.flip_prob=0.5",
        "train.checkpoint_every=3", "train.detector.steps=6", "train.detector.batch_size=2",
        "train.detector.warmup_steps=2", "train.detector.lr=0.01"])
    run_stage("detector", cfg, tmp_path / "full")
    with pytest.raises(Killed):
        run_stage("detector", cfg, tmp_path / "killed", callbacks=[KillAt(4)])
    saved = load_checkpoint(tmp_path / "killed" / "checkpoints" / "last.ckpt")
    assert saved["global_step"] == 3
    assert saved["loops"]["fit_loop"]["state_dict"]["combined_loader"] == [{"epoch": 0, "batches": 3}]
    run_stage("detector", cfg, tmp_path / "killed", resume=True)
    a = load_checkpoint(tmp_path / "full" / "checkpoints" / "last.ckpt")
    b = load_checkpoint(tmp_path / "killed" / "checkpoints" / "last.ckpt")
    assert a["global_step"] == b["global_step"] == 6
    for k in a["state_dict"]:
        assert torch.equal(a["state_dict"][k], b["state_dict"][k]), k
