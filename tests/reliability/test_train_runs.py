"""Training run folders: one run per folder, resume from the newest checkpoint with the same config,
and every check before anything is written."""

import os
import shutil

import cv2
import numpy as np
import pytest

from hupor.camera import Intrinsics
from hupor.errors import HuporError
from hupor.records import ImageRecord, RecordSet
from hupor.train.checkpoint import find_resume_checkpoint
from hupor.train.config import load_experiment
from hupor.train.rundir import config_diff
from hupor.train.run import run_stage

TINY = ["input.net_w=96", "input.net_h=64", "model.detector.stages=1", "model.detector.blocks=[1,1,1,1]",
        "model.detector.widths=[4,4,8,8]", "model.detector.stem_width=8", "model.detector.decoder_width=8",
        "train.progress_bar=false", "train.threads=1", "train.log_every=1", "train.checkpoint_every=1",
        "train.detector.steps=1", "train.detector.warmup_steps=0", "data.augment.enabled=false"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A finished 1-step detector run (its folder is copied by the tests, never changed)."""
    root = tmp_path_factory.mktemp("run")
    rec = ImageRecord("im.png", 96, 64, Intrinsics(100.0, 100.0, 48.0, 32.0), np.zeros((0, 15, 2)),
                      np.zeros((0, 15, 3)), np.zeros((0, 15), int))
    cv2.imwrite(str(root / "im.png"), np.full((64, 96, 3), 30, np.uint8))
    RecordSet([rec, rec], dataset="tiny").save(root / "records.json")
    overrides = TINY + [f"data.train=[{root / 'records.json'}]"]
    run_stage("detector", load_experiment("cpu-tiny", overrides), root / "out")
    return {"out": root / "out", "overrides": overrides}


def _snapshot(folder):
    return sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in folder.rglob("*"))


def _copy(run, tmp_path):
    shutil.copytree(run["out"], tmp_path / "out")
    return tmp_path / "out"


def test_second_run_into_non_empty_folder_refused(run, tmp_path, fails):
    out = _copy(run, tmp_path)
    before = _snapshot(out)
    fails(["train", "detector", "--out", out, *run["overrides"]], f"--out {out}: folder is not empty",
          "--resume", "--overwrite")
    assert _snapshot(out) == before
    (out / "mine.txt").write_text("precious")
    fails(["train", "detector", "--out", out, "--overwrite", *run["overrides"]], "mine.txt")
    assert (out / "mine.txt").read_text() == "precious"


def test_overwrite_replaces_the_run(run, tmp_path):
    out = _copy(run, tmp_path)
    (out / "checkpoints" / "last-v1.ckpt").write_bytes(b"stale")
    res = run_stage("detector", load_experiment("cpu-tiny", run["overrides"]), out, overwrite=True)
    assert res.global_step == 1
    assert not (out / "checkpoints" / "last-v1.ckpt").exists()
    assert [p.name for p in (out / "logs").iterdir()] == ["version_0"]


def test_resume_with_changed_config_names_keys_and_writes_nothing(run, tmp_path, fails):
    out = _copy(run, tmp_path)
    before = _snapshot(out)
    fails(["train", "detector", "--out", out, "--resume", *run["overrides"], "model.detector.widths=[8,8,8,8]",
           "train.seed=7", "train.threads=2"],
          "config differs", "2 key(s)", "model.detector.widths: [4, 4, 8, 8] -> [8, 8, 8, 8]", "train.seed: 0 -> 7")
    assert _snapshot(out) == before  # config.yaml, logs, checkpoints untouched
    fails(["train", "detector", "--out", out, "--resume", "--overwrite", *run["overrides"]], "give one")


def test_resume_free_keys_documented():
    old = {"train": {"threads": 1, "progress_bar": True, "log_every": 1, "seed": 0}}
    new = {"train": {"threads": 4, "progress_bar": False, "log_every": 50, "seed": 0}}
    assert config_diff(old, new) == []
    assert config_diff(old, {"train": {**new["train"], "seed": 1}}) == [("train.seed", 0, 1)]


def test_resume_picks_the_newest_checkpoint(tmp_path):
    d = tmp_path / "checkpoints"
    d.mkdir()
    assert find_resume_checkpoint(d) is None
    for i, name in enumerate(["step=9.ckpt", "last.ckpt", "step=3-v1.ckpt", "last-v1.ckpt"]):
        (d / name).write_bytes(b"x")
        os.utime(d / name, ns=(10**18 + i * 10**9, 10**18 + i * 10**9))
    assert find_resume_checkpoint(d).name == "last-v1.ckpt"  # written last, although its name sorts first
    os.utime(d / "last.ckpt", ns=(2 * 10**18, 2 * 10**18))
    assert find_resume_checkpoint(d).name == "last.ckpt"


def test_gpu_on_cpu_machine_refused_before_folder(run, tmp_path, fails, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for acc in ("gpu", "cuda"):
        fails(["train", "detector", "--out", tmp_path / "new", *run["overrides"], f"train.accelerator={acc}"],
              f"train.accelerator={acc}: CUDA is not available")
    fails(["train", "detector", "--out", tmp_path / "new", *run["overrides"], "train.devices=0"],
          "override 'train.devices=0'")
    assert not (tmp_path / "new").exists()


def test_failed_checks_leave_no_folder(tmp_path):
    cfg = load_experiment("cpu-tiny", TINY)
    with pytest.raises(HuporError, match="data.train"):
        run_stage("detector", cfg, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_resume_with_same_config_continues(run, tmp_path):
    out = _copy(run, tmp_path)
    cfg = load_experiment("cpu-tiny", run["overrides"] + ["train.threads=2", "train.log_every=5"])
    res = run_stage("detector", cfg, out, resume=True)  # free keys may change
    assert res.global_step == 1
    assert sorted(p.name for p in (out / "logs").iterdir()) == ["version_0", "version_1"]


def test_only_the_first_launched_process_checks_the_folder(monkeypatch):
    from hupor.train.rundir import is_launch_rank_zero

    for key in ("RANK", "SLURM_PROCID", "LOCAL_RANK", "NODE_RANK"):
        monkeypatch.delenv(key, raising=False)
    assert is_launch_rank_zero()
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert is_launch_rank_zero()
    monkeypatch.setenv("LOCAL_RANK", "1")  # a process Lightning's ddp launcher started
    assert not is_launch_rank_zero()
