"""Training SSF's ShapeInit and ShapeOpt on person crops of rendered scenes (``hupor train ssf``).

One Lightning module trains both networks on the same batch (supplement §2.2 losses,
:func:`hupor.ssf.nets.ssf_loss`): ShapeInit from the crop; ShapeOpt from the person's mask and
ShapeInit's (detached) output. The targets are the capsule-body parameters of the true 3D joints
(Skeleton2Pose, :func:`hupor.ssf.body.skeleton_to_pose`), the root-relative joints and the mask;
the silhouette term places the body at its true root in the crop camera. The crops are cut once
into an ``.npz`` cache beside the run (:func:`hupor.ssf.crops.build_crop_set`).

The paper's schedule (Adam, lr 1e-3 ÷ 10 at epochs 50 and 100 of 150, batch 32) is kept in shape:
÷ 10 at ⅓ and ⅔ of ``steps``. The output ``shape.pt`` (weights_only) holds both networks and this
config; :class:`hupor.ssf.fit.ShapeFitter` loads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..config import to_dict
from ..errors import HuporError
from ..fileio import write_atomic
from ..plugins.config import ResNetConfig
from .body import skeleton_to_pose, soft_silhouette
from .crops import CropCamera
from .nets import SSFLossWeights, ShapeInit, ShapeOpt, join_params, ssf_loss

MEAN = (0.485, 0.456, 0.406)   # per channel of the BGR crop (ImageNet's values, as fixed constants)
STD = (0.229, 0.224, 0.225)
FORMAT = "hupor-ssf-shape"
CACHE_VERSION = 2      # crop caches of another version are cut again (2: + joints_2d, labelled)


@dataclass(frozen=True)
class ShapeTrainConfig:
    """``crop`` px (square); ``backbone`` ShapeInit's ResNet (the paper: ResNet-34, ``basic`` (3, 4,
    6, 3) width 64; this default is a narrow CPU one); ``opt_width`` ShapeOpt's first conv width;
    ``sil_size`` the silhouette loss's resolution (px, square); ``scenes`` / ``seed`` the rendered
    training scenes, ``val_scenes`` / ``val_seed`` the validation ones; ``steps`` × ``batch_size``
    at ``lr`` (÷ 10 at ⅓ and ⅔), ``threads`` torch threads (0: torch's default); ``joints_input``:
    ShapeInit also reads the person's labelled 2D joints (a deviation from the paper, docs/ssf.md)."""

    crop: int = 64
    backbone: ResNetConfig = field(default_factory=lambda: ResNetConfig(
        block="basic", layers=(1, 1, 1, 1), width=16, stem_width=16, maxpool=False))
    opt_width: int = 16
    sil_size: int = 32
    scenes: int = 4000
    seed: int = 50
    val_scenes: int = 100
    val_seed: int = 51
    steps: int = 6000
    batch_size: int = 32
    lr: float = 1e-3
    weights: SSFLossWeights = field(default_factory=SSFLossWeights)
    threads: int = 1
    checkpoint_every: int = 500
    joints_input: bool = False

    def __post_init__(self):
        for name in ("crop", "opt_width", "sil_size", "scenes", "val_scenes", "steps", "batch_size", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise HuporError(f"ssf.{name}: must be >= 1, got {getattr(self, name)}")
        if self.crop % 16:
            raise HuporError(f"ssf.crop: a multiple of 16, got {self.crop}")
        if self.lr <= 0 or self.threads < 0:
            raise HuporError("ssf.lr must be > 0 and ssf.threads >= 0")


def build_nets(cfg: ShapeTrainConfig) -> tuple[ShapeInit, ShapeOpt]:
    return ShapeInit(cfg.backbone, cfg.joints_input), ShapeOpt(cfg.opt_width, (cfg.crop, cfg.crop))


def normalise(crops: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 3, S, S) BGR crops → normalised float."""
    m = crops.new_tensor(MEAN, dtype=torch.float32)[:, None, None]
    s = crops.new_tensor(STD, dtype=torch.float32)[:, None, None]
    return (crops.float() / 255.0 - m) / s


def batch_targets(batch: dict, cfg: ShapeTrainConfig) -> tuple[dict, object]:
    """Loss targets of a batch (``joints`` (B, 15, 3) mm camera frame, ``masks``, ``cams``) and the
    silhouette function (the body at its true root in the crop camera, at ``sil_size``)."""
    j = batch["joints"].double()
    pose, shape, root = skeleton_to_pose(j)
    params = join_params(pose, shape).float()
    k = cfg.sil_size / cfg.crop
    cam = batch["cams"].double()
    kc = CropCamera(cam[:, :1] * k, cam[:, 1:2] * k, (cam[:, 2:3] + 0.5) * k - 0.5, (cam[:, 3:4] + 0.5) * k - 0.5)
    mask = torch.nn.functional.adaptive_avg_pool2d(batch["masks"].float()[:, None], cfg.sil_size)[:, 0]

    def silhouette(rel, shp):
        return soft_silhouette(rel.double() + root[:, None], shp.double(), kc, (0, 0, cfg.sil_size, cfg.sil_size),
                               (cfg.sil_size, cfg.sil_size)).float()

    return {"params": params, "joints": (j - root[:, None]).float(), "mask": mask}, silhouette


def _module_class():
    import lightning as L

    class ShapeModule(L.LightningModule):
        """ShapeInit + ShapeOpt, trained together (see the module docstring)."""

        def __init__(self, cfg: ShapeTrainConfig):
            super().__init__()
            self.cfg = cfg
            self.init_net, self.opt_net = build_nets(cfg)

        def losses(self, batch) -> dict:
            target, sil = batch_targets(batch, self.cfg)
            p0 = self.init_net(normalise(batch["crops"]), batch["jin"])
            t0 = ssf_loss(p0, target, self.cfg.weights, sil)
            p1 = self.opt_net(batch["masks"].float()[:, None], p0.detach())
            t1 = ssf_loss(p1, target, self.cfg.weights, sil)
            out = {f"init_{k}": v for k, v in t0.items()} | {f"opt_{k}": v for k, v in t1.items()}
            out["total"] = t0["total"] + t1["total"]
            return out

        def training_step(self, batch, batch_idx):
            t = self.losses(batch)
            for k, v in t.items():
                self.log(f"train/{k}", v.detach(), on_step=True, on_epoch=False, batch_size=len(batch["crops"]))
            return t["total"]

        def validation_step(self, batch, batch_idx):
            for k, v in self.losses(batch).items():
                self.log(f"val/{k}", v.detach(), on_step=False, on_epoch=True, batch_size=len(batch["crops"]))

        def on_save_checkpoint(self, checkpoint):
            checkpoint["hupor"] = _meta(self.cfg)

        def configure_optimizers(self):
            opt = torch.optim.Adam(self.parameters(), lr=self.cfg.lr)
            n = self.cfg.steps
            sched = torch.optim.lr_scheduler.MultiStepLR(opt, [n // 3, 2 * n // 3], 0.1)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    return ShapeModule


class CropData(torch.utils.data.Dataset):
    """Items of a crop set (:func:`hupor.ssf.crops.build_crop_set` arrays) and ShapeInit's 2D-joint
    input ``jin`` (:func:`hupor.ssf.crops.joint_input`)."""

    def __init__(self, arrays: dict, size: int):
        from .crops import joint_input

        self.a = {k: torch.from_numpy(np.asarray(arrays[k])) for k in ("crops", "masks", "joints", "cams")}
        self.a["jin"] = torch.from_numpy(joint_input(arrays["joints_2d"], arrays["labelled"], arrays["boxes"], size))

    def __len__(self) -> int:
        return len(self.a["crops"])

    def __getitem__(self, i):
        return {k: v[i] for k, v in self.a.items()}


def crop_cache(path: Path, seed: int, scenes: int, size: int) -> dict:
    """The crop set of (seed, scenes, size), cut once and kept in ``path`` (.npz, atomic)."""
    if path.is_file():
        with np.load(path) as z:
            data = {k: z[k] for k in z.files}
        if [int(v) for v in data["meta"]] == [seed, scenes, size, CACHE_VERSION]:
            return data
    from .crops import build_crop_set

    data = build_crop_set(seed, scenes, size=size)
    data["meta"] = np.array([seed, scenes, size, CACHE_VERSION])
    def _save(p):
        with open(p, "wb") as f:      # a file object: np.savez would append ".npz" to the temp name
            np.savez(f, **data)

    write_atomic(path, _save)
    return data


def train_shape(cfg: ShapeTrainConfig, out: str | Path, resume: bool = False, max_steps: int | None = None) -> dict:
    """Train into the run folder ``out`` (``crops-train.npz``, ``crops-val.npz``, ``checkpoints/``,
    ``logs/``, ``shape.pt``); ``resume`` continues from the newest checkpoint. Returns the last
    validation losses and the path of ``shape.pt``."""
    import lightning as L
    from lightning.pytorch.callbacks import ModelCheckpoint
    from lightning.pytorch.loggers import CSVLogger

    from ..train.checkpoint import AtomicCheckpointIO, find_resume_checkpoint

    out = Path(out)
    ckpt = find_resume_checkpoint(out / "checkpoints") if resume else None
    if not resume and (out / "checkpoints").is_dir() and any((out / "checkpoints").iterdir()):
        raise HuporError(f"--out {out}: holds a run already (give --resume, or another folder)")
    out.mkdir(parents=True, exist_ok=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    L.seed_everything(cfg.seed, verbose=False)
    train = CropData(crop_cache(out / "crops-train.npz", cfg.seed, cfg.scenes, cfg.crop), cfg.crop)
    val = CropData(crop_cache(out / "crops-val.npz", cfg.val_seed, cfg.val_scenes, cfg.crop), cfg.crop)
    loader = torch.utils.data.DataLoader(train, cfg.batch_size, shuffle=True, drop_last=len(train) > cfg.batch_size)
    vloader = torch.utils.data.DataLoader(val, 64)
    module = _module_class()(cfg)
    steps = cfg.steps if max_steps is None else max_steps
    trainer = L.Trainer(
        accelerator="cpu", max_steps=steps, max_epochs=-1, logger=CSVLogger(str(out), name="logs"),
        callbacks=[ModelCheckpoint(dirpath=str(out / "checkpoints"), filename="step={step}", save_last=True,
                                   every_n_train_steps=cfg.checkpoint_every, auto_insert_metric_name=False)],
        plugins=[AtomicCheckpointIO()], enable_progress_bar=False, enable_model_summary=False,
        num_sanity_val_steps=0, val_check_interval=min(cfg.checkpoint_every, steps), check_val_every_n_epoch=None,
        log_every_n_steps=50)
    trainer.fit(module, loader, vloader, ckpt_path=str(ckpt) if ckpt else None, weights_only=True)
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}
    path = save_shape(out / "shape.pt", cfg, module.init_net, module.opt_net)
    return {"metrics": metrics, "shape": path, "train_crops": len(train), "val_crops": len(val)}


def _meta(cfg: ShapeTrainConfig) -> dict:
    """The ``hupor`` header of shape.pt and of the run's checkpoints (what :func:`load_shape` reads)."""
    return {"format": FORMAT, "version": 1, "config": to_dict(cfg)}


def save_shape(path, cfg: ShapeTrainConfig, init_net: ShapeInit, opt_net: ShapeOpt) -> Path:
    payload = {"hupor": _meta(cfg),
               "init": {k: v.detach().cpu() for k, v in init_net.state_dict().items()},
               "opt": {k: v.detach().cpu() for k, v in opt_net.state_dict().items()}}
    return write_atomic(path, lambda p: torch.save(payload, p))


def load_shape(path) -> tuple[ShapeTrainConfig, ShapeInit, ShapeOpt]:
    """``shape.pt`` (or a checkpoint of a ``hupor train ssf`` run, ``checkpoints/*.ckpt``) →
    (config, ShapeInit, ShapeOpt) in eval mode (weights_only loading)."""
    from ..config import from_dict
    from ..fileio import load_torch

    data = load_torch(Path(path), "SSF shape model")
    meta = data.get("hupor", {}) if isinstance(data, dict) else {}
    if meta.get("format") != FORMAT:
        raise HuporError(f"{path}: not an SSF shape model (hupor train ssf writes shape.pt)")
    cfg = from_dict(ShapeTrainConfig, meta["config"], f"{path}: config")
    init_net, opt_net = build_nets(cfg)
    if "state_dict" in data:                                  # a Lightning checkpoint of the run
        sd = data["state_dict"]
        data = {part: {k.split(".", 1)[1]: v for k, v in sd.items() if k.startswith(f"{part}_net.")}
                for part in ("init", "opt")}
    init_net.load_state_dict(data["init"])
    opt_net.load_state_dict(data["opt"])
    return cfg, init_net.eval(), opt_net.eval()
