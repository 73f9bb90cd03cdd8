"""Runners of the ablation rows: train a reasoner / RefineNet with a fixed budget, predict, score.

Every trained row goes through the project's own training stage (``hupor.train.run.run_stage``, the
code behind ``hupor train reasoner|refiner``) with the ``cpu-tiny`` experiment plus the overrides in
:func:`reasoner_config`, so a row differs from another only in the switch it ablates.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from ..codec import Codec, DecodeParams
from ..config import from_dict
from ..data.synth import SceneConfig
from ..errors import HuporError
from ..nets import DSED, RefineNet, refine_features
from ..train.config import ExperimentConfig, load_experiment
from .definition import BenchSpec, PreparedScene

MM_PER_CM = 10.0


def reasoner_config(spec: BenchSpec, kind: str, blocks: Sequence[int], run_seed: int, steps: int,
                    batch_size: int = 4, threads: int = 1, teacher_input: str = "all",
                    checkpoint_every: int = 0, extra: Sequence[str] = ()) -> ExperimentConfig:
    """cpu-tiny reasoner experiment for one row: ``kind`` "dsed"/"hg", ``blocks`` = supervised encoder
    blocks, ``teacher_input`` "all"/"occ", trained ``steps`` × ``batch_size`` on the benchmark's train
    split of ``run_seed`` at the benchmark's output stride. ``checkpoint_every`` > 0 keeps a checkpoint
    (and validates) every that many steps, for learning curves; 0: only the last. ``extra``: more
    ``key=value`` overrides of the row."""
    blocks_s = "[" + ",".join(str(int(b)) for b in blocks) + "]"
    every = checkpoint_every if checkpoint_every > 0 else steps
    cfg = load_experiment("cpu-tiny", [
        f"model.reasoner.kind={kind}", f"model.reasoner.supervised_blocks={blocks_s}",
        f"model.reasoner.teacher_input={teacher_input}", f"codec.stride={spec.stride}",
        f"input.net_w={spec.net_w}", f"input.net_h={spec.net_h}",
        f"train.seed={run_seed}", f"train.threads={threads}", "train.progress_bar=false",
        f"train.reasoner.steps={steps}", f"train.reasoner.batch_size={batch_size}",
        f"train.checkpoint_every={every}", f"train.keep_checkpoints={max(1, -(-steps // every))}",
        "data.reasoner_source=synth", f"data.synth.seed={spec.train_seed + run_seed}",
        f"data.synth.val_seed={spec.val_seed}", f"data.synth.val_length={spec.val_scenes}",
        f"data.synth.options.width={spec.train_scene.width}", f"data.synth.options.height={spec.train_scene.height}", *extra])
    scene = from_dict(SceneConfig, dict(cfg.data.synth.options), "data.synth.options")
    if scene != spec.train_scene:
        raise HuporError("cpu-tiny data.synth.options (besides the size) no longer match the benchmark's "
                         "train scenes; update BenchSpec.train_scene")
    return cfg


def train_reasoner(cfg: ExperimentConfig, out_dir: str | Path) -> tuple[DSED, dict]:
    """Train (or reload a finished run in ``out_dir``) and return the reasoner in eval mode and
    ``{"train_s", "metrics"}``."""
    return _train_or_load("reasoner", cfg, out_dir, DSED(cfg.model.reasoner, stride=cfg.codec.stride))


def _train_or_load(stage: str, cfg: ExperimentConfig, out_dir: str | Path, net):
    """Run ``hupor train STAGE`` into ``out_dir`` unless its weights exist (resuming a killed run from
    its last checkpoint); load them into ``net``."""
    from ..train.run import run_stage

    out = Path(out_dir)
    weights = out / f"{stage}.pt"
    info: dict = {}
    if not weights.is_file():
        t0 = time.time()
        resume = (out / "checkpoints" / "last.ckpt").is_file()  # a killed row continues where it stopped
        res = run_stage(stage, cfg, out, resume=resume)
        info = {"train_s": time.time() - t0, "metrics": res.metrics, "steps": res.global_step}
    net.load_state_dict(torch.load(weights, weights_only=True)["state_dict"])
    net.eval()
    return net, info


def reason(reasoner: DSED | None, maps: np.ndarray, batch: int = 16, images: torch.Tensor | None = None) -> np.ndarray:
    """maps57 (N, J+3P, h, w) → reasoned maps57 (identity when ``reasoner`` is None); ``images``
    (N, 3, H, W) normalised network inputs for a reasoner with ``image_input``."""
    if reasoner is None:
        return maps
    out = []
    with torch.inference_mode():
        for i in range(0, len(maps), batch):
            img = None if images is None else images[i:i + batch]
            out.append(reasoner.infer(torch.from_numpy(np.ascontiguousarray(maps[i:i + batch])), img).numpy())
    return np.concatenate(out)


def rendered_split(spec: BenchSpec, split: str, scenes: int, out_dir: str | Path, run_seed: int = 0) -> Path:
    """The first ``scenes`` scenes of ``split`` ("train" or "val") rendered with images into
    ``out_dir`` (``hupor synth``'s layout; kept and reused when complete). Returns the annotations."""
    from ..data.synth.generate import generate

    seed = spec.train_seed + run_seed if split == "train" else spec.val_seed
    path = Path(out_dir) / "annotations.json"
    if not path.is_file():
        generate(out_dir, scenes, seed=seed, config=spec.train_scene)
    return path


def test_images(spec: BenchSpec, records: Sequence, motion=None) -> torch.Tensor:
    """The test split's scenes rendered (N, 3, H, W), normalised like the network input (the scenes
    are at the network's size); each must hold the same people as ``records``."""
    from ..data.synth.generate import render_scene
    from ..nets import preprocess

    imgs = []
    for i, rec in enumerate(records):
        img, r = render_scene(spec.test_scene, spec.test_seed, i, motion)
        if img.shape[:2] != (spec.net_h, spec.net_w) or not np.allclose(r.joints_3d, rec.joints_3d):
            raise HuporError(f"test scene {i}: the rendered scene differs from the skeleton scene")
        imgs.append(img)
    return preprocess(np.stack(imgs))


def predict(scenes: Sequence[PreparedScene], codec: Codec, reasoner: DSED | None = None,
            refiner: RefineNet | None = None, params: DecodeParams = DecodeParams(),
            maps: np.ndarray | None = None, root_depth: np.ndarray | None = None,
            images: torch.Tensor | None = None) -> list:
    """Per scene: reason (optional), ``Codec.decode``, refine (optional). ``maps``/``root_depth``
    (N, ...) replace the scenes' GT-rendered inputs (end-to-end rows: the detector's output).
    Returns ``codec.Poses``, or with a refiner ``(joints_2d, joints_3d)`` pairs after the same
    :class:`hupor.methods.RefineStage` as ``Predictor`` (detected joints re-projected at the refined
    depth, missed joints filled in); joints that were not detected have 2D (0, 0), i.e. they do not
    take part in identity matching. ``images``: the scenes' normalised images, for an
    ``image_input`` reasoner (:func:`test_images`)."""
    from ..methods import RefineStage, StageContext

    m = np.stack([s.input57 for s in scenes]) if maps is None else maps
    rd = np.stack([s.root_depth for s in scenes]) if root_depth is None else root_depth
    m = reason(reasoner, m, images=images)
    refine = RefineStage(refiner) if refiner is not None else None
    out = []
    for s, mi, ri in zip(scenes, m, rd):
        poses = codec.decode(mi, ri, s.letterbox, s.record.intrinsics, params)
        if refine is not None and len(poses.joints_2d):
            refined = refine(poses, StageContext({}, s.letterbox, s.record.intrinsics))
            j2 = np.where(poses.detected[..., None], poses.joints_2d, 0.0)
            out.append((j2, np.nan_to_num(refined.joints_3d)))
        else:
            out.append(poses)
    return out


def refine_pairs(scenes: Sequence[PreparedScene], codec: Codec, reasoner: DSED | None,
                 max_dist_net: float) -> tuple[np.ndarray, np.ndarray]:
    """RefineNet (features (N, J, 5), target (N, J, 3) root-relative cm) from the reasoner's decoded
    people matched to ground truth by pelvis distance (as ``hupor train pairs``)."""
    from ..train.refiner_data import match_people

    root = codec.skeleton.root
    feats, targets = [], []
    for s, poses in zip(scenes, predict(scenes, codec, reasoner)):
        for p, g, _ in match_people(poses, s.record, root, s.letterbox.scale, max_dist_net):
            feats.append(refine_features(poses.joints_net[p:p + 1], poses.joints_3d[p:p + 1] / MM_PER_CM,
                                         poses.detected[p:p + 1], root)[0])
            gt = s.record.joints_3d[g]
            targets.append(((gt - gt[root]) / MM_PER_CM).astype(np.float32))
    j = codec.skeleton.num_joints
    return np.asarray(feats, np.float32).reshape(-1, j, 5), np.asarray(targets, np.float32).reshape(-1, j, 3)


def train_refiner(kind: str, pairs_path: str | Path, out_dir: str | Path, run_seed: int = 0,
                  threads: int = 1) -> tuple[RefineNet, dict]:
    """cpu-tiny RefineNet of ``kind`` ("gcn"/"mlp") on one pairs file (the cpu-tiny schedule)."""
    cfg = load_experiment("cpu-tiny", [f"model.refiner.kind={kind}", f"data.pairs=[{pairs_path}]",
                                       f"train.seed={run_seed}", f"train.threads={threads}",
                                       "train.progress_bar=false", "train.keep_checkpoints=1"])
    return _train_or_load("refiner", cfg, out_dir, RefineNet(cfg.model.refiner))
