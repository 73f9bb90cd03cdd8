"""Datasets and data loaders of each stage, built from an :class:`ExperimentConfig`.

The loaders use :class:`~hupor.train.samplers.MixedBatchSampler` (rank-aware), so the Trainer runs with
``use_distributed_sampler=False`` and the same code serves CPU, one GPU and DDP.
"""

from __future__ import annotations

from collections.abc import Sequence

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..codec import Codec
from ..data.datasets import (DetectedReasonerDataset, DetectorDataset, PairsDataset, ReasonerDataset, load_pairs,
                             load_records)
from ..errors import HuporError
from ..skeleton import Skeleton, get_skeleton
from .config import ExperimentConfig
from .samplers import MixedBatchSampler


def make_codec(cfg: ExperimentConfig) -> Codec:
    """The codec for the experiment's input size, ``codec:`` section and skeleton."""
    return Codec(get_skeleton(cfg.model.skeleton), cfg.codec_params)


def synthetic_scenes(cfg: ExperimentConfig, length: int, seed: int, motion=None):
    """On-the-fly skeleton-only scenes (a sequence of ImageRecords) from ``hupor.data.synth``;
    ``data.synth.options`` are :class:`hupor.data.synth.SceneConfig` fields."""
    from ..config import from_dict
    from ..data.synth import SceneConfig, SkeletonScenes

    scene_cfg = from_dict(SceneConfig, dict(cfg.data.synth.options), "data.synth.options")
    return SkeletonScenes(scene_cfg, seed=seed, length=length, motion=motion)


class StageData(L.LightningDataModule):
    """Training groups mixed by ``fractions`` in every batch, plus an optional validation set."""

    def __init__(self, groups: Sequence[Dataset], fractions: Sequence[float] | None, batch_size: int,
                 num_workers: int = 0, seed: int = 0, val: Dataset | None = None, val_batch_size: int = 0,
                 batched_getitem: bool = False, group_sizes: Sequence[int] | None = None):
        super().__init__()
        self.groups = list(groups)
        self.group_sizes = list(group_sizes) if group_sizes is not None else [len(g) for g in self.groups]
        self.fractions = fractions
        self.batch_size, self.num_workers, self.seed = batch_size, num_workers, seed
        self.val = val
        self.val_batch_size = val_batch_size or batch_size
        self.batched_getitem = batched_getitem

    def _loader(self, dataset, batch_sampler, cls=DataLoader) -> DataLoader:
        kw = {}
        if self.batched_getitem:
            kw["collate_fn"] = _first
            batch_sampler = [[b] for b in batch_sampler] if not hasattr(batch_sampler, "set_epoch") else \
                _Wrap(batch_sampler)
        return cls(dataset, batch_sampler=batch_sampler, num_workers=self.num_workers,
                   persistent_workers=self.num_workers > 0, **kw)

    def train_dataloader(self) -> DataLoader:
        rank = self.trainer.global_rank if self.trainer else 0
        world = self.trainer.world_size if self.trainer else 1
        sampler = MixedBatchSampler(self.group_sizes, self.batch_size, self.fractions,
                                    seed=self.seed, rank=rank, world_size=world, seeded=not self.batched_getitem)
        dataset = self.groups[0] if len(self.groups) == 1 else _Concat(self.groups)
        return self._loader(dataset, sampler, ResumableLoader)

    def val_dataloader(self):
        if self.val is None:
            return []
        rank = self.trainer.global_rank if self.trainer else 0
        world = self.trainer.world_size if self.trainer else 1
        n = len(self.val)
        idx = np.arange(rank, n, world)
        if not self.batched_getitem:  # fixed per-sample seeds: validation never touches the global RNG
            seeds = np.random.SeedSequence([self.seed, 0x5EED]).generate_state(n)
            idx = [(int(i), int(seeds[i])) for i in idx]
        else:
            idx = idx.tolist()
        batches = [idx[i:i + self.val_batch_size] for i in range(0, len(idx), self.val_batch_size)]
        return self._loader(self.val, batches)


class ResumableLoader(DataLoader):
    """A DataLoader whose position in the epoch is saved in Lightning checkpoints (Lightning calls
    ``state_dict`` / ``load_state_dict`` on loaders that have them): a resumed run skips the
    batches already trained on instead of restarting the epoch."""

    def _sampler(self) -> MixedBatchSampler:
        bs = self.batch_sampler
        return bs.inner if isinstance(bs, _Wrap) else bs

    def state_dict(self) -> dict:
        return self._sampler().state_dict()

    def load_state_dict(self, state: dict) -> None:
        self._sampler().load_state_dict(state)


class _Concat(Dataset):
    """Datasets concatenated in order; keys are indices or ``(index, seed)`` (the seed is kept)."""

    def __init__(self, groups: Sequence[Dataset]):
        self.groups = list(groups)
        self.ends = np.cumsum([len(g) for g in self.groups])

    def __len__(self) -> int:
        return int(self.ends[-1])

    def __getitem__(self, key):
        idx, seed = key if isinstance(key, tuple) else (key, None)
        g = int(np.searchsorted(self.ends, idx, side="right"))
        local = int(idx) - (int(self.ends[g - 1]) if g else 0)
        return self.groups[g][local if seed is None else (local, seed)]


def _first(batch):
    return batch[0]


class _Wrap:
    """Batch sampler yielding ``[indices]`` so a dataset's ``__getitem__`` receives a whole batch."""

    def __init__(self, inner):
        self.inner = inner
        self.sampler = inner

    def __len__(self):
        return len(self.inner)

    def __iter__(self):
        for b in self.inner:
            yield [b]


class BatchedPairs(Dataset):
    """Pairs indexed by a whole list of indices at once (fast for batches of 1024); several pair sets
    are concatenated in order (``group_sizes``)."""

    def __init__(self, *pairs: PairsDataset):
        self.features = torch.cat([p.features for p in pairs])
        self.target = torch.cat([p.target for p in pairs])
        self.group_sizes = [len(p) for p in pairs]

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, idx):
        return self.features[idx], self.target[idx]


def _plugin_data(cfg: ExperimentConfig, common: dict, reason: bool = False) -> StageData:
    """The detector (base network) or reasoner stage of a 2D plug-in method:
    :class:`hupor.plugins.data.PluginDataset` groups (``reason``: the reasoner's labels)."""
    from ..plugins.data import PluginDataset
    from ..plugins.losses import field_stride, plugin_config

    d, m = cfg.data, cfg.model
    if not d.train:
        raise HuporError(f"{m.method} training needs data.train (canonical records with images)")
    kw = dict(method=m.method, joints=plugin_config(m).joints, net_w=cfg.input.net_w, net_h=cfg.input.net_h,
              stride=field_stride(m), reason=reason)
    groups = [PluginDataset(load_records(d.train), augment=d.augment, **kw)]
    if d.mix:
        groups.append(PluginDataset(load_records(d.mix), augment=d.augment, **kw))
    val = PluginDataset(load_records(d.val), augment=None, **kw) if d.val else None
    return StageData(groups, [1 - d.mix_ratio, d.mix_ratio] if d.mix else None, val=val, **common)


def build_data(stage: str, cfg: ExperimentConfig) -> StageData:
    """The data module of ``stage`` from ``cfg.data`` (see :class:`~hupor.train.config.DataConfig`)."""
    d, t = cfg.data, cfg.train
    sc = t.stage(stage)
    skeleton: Skeleton = get_skeleton(cfg.model.skeleton)
    common = dict(batch_size=sc.batch_size, num_workers=t.num_workers, seed=t.seed)
    if stage == "refiner":
        if not d.pairs:
            raise HuporError("refiner training needs data.pairs (npz files from 'hupor train pairs')")
        sets = [PairsDataset(*load_pairs(d.pairs))]
        if d.mix_pairs:
            sets.append(PairsDataset(*load_pairs(d.mix_pairs)))
        want = 6 if cfg.model.refiner.hint_channel else 5
        for name, st in zip(("data.pairs", "data.mix_pairs"), sets):
            if st.features.shape[2] != want:
                raise HuporError(f"{name}: the pairs have {st.features.shape[2]} features per joint, "
                                 f"model.refiner.hint_channel={cfg.model.refiner.hint_channel} needs {want}")
        train = BatchedPairs(*sets)
        val = BatchedPairs(PairsDataset(*load_pairs(d.val_pairs))) if d.val_pairs else None
        fractions = [1 - d.mix_ratio, d.mix_ratio] if d.mix_pairs else None
        return StageData([train], fractions, val=val, batched_getitem=True, group_sizes=train.group_sizes,
                         **common)
    if stage in ("detector", "reasoner") and cfg.model.method != "hupor":
        return _plugin_data(cfg, common, reason=stage == "reasoner")
    codec = make_codec(cfg)
    if stage == "detector":
        if not d.train:
            raise HuporError("detector training needs data.train (canonical records with images)")
        groups = [DetectorDataset(load_records(d.train), codec, d.augment)]
        if d.mix:
            groups.append(DetectorDataset(load_records(d.mix), codec, d.augment))
        val = DetectorDataset(load_records(d.val), codec, None) if d.val else None
        fractions = [1 - d.mix_ratio, d.mix_ratio] if d.mix else None
        return StageData(groups, fractions, val=val, **common)
    if stage != "reasoner":
        raise HuporError(f"unknown training stage {stage!r}")
    rc = cfg.model.reasoner
    kw = dict(teacher_subset=rc.teacher_input, teacher_level=rc.teacher_level, with_image=rc.image_input)
    if rc.image_input and d.reasoner_source != "records":
        raise HuporError("model.reasoner.image_input: train on rendered records (data.reasoner_source=records "
                         f"and data.train), not on {d.reasoner_source!r}")
    if d.reasoner_source == "synth":
        scenes = synthetic_scenes(cfg, d.synth.length, d.synth.seed)
        groups = [ReasonerDataset(scenes, codec, skeleton, d.augment, **kw)]
        fractions = None
        val_src = (synthetic_scenes(cfg, d.synth.val_length, d.synth.val_seed, scenes.motion)
                   if d.synth.val_length else None)
    elif d.reasoner_source == "detector":
        if not d.train:
            raise HuporError("reasoner_source 'detector' needs data.train (records with images)")
        kw.pop("with_image")
        groups = [DetectedReasonerDataset(load_records(d.train), codec, d.augment, **kw)]
        fractions = None
        val = DetectedReasonerDataset(load_records(d.val), codec, None, **kw) if d.val else None
        return StageData(groups, fractions, val=val, **common)
    else:
        if not d.train:
            raise HuporError("reasoner_source 'records' needs data.train")
        groups = [ReasonerDataset(load_records(d.train), codec, skeleton, d.augment, **kw)]
        if d.mix:
            groups.append(ReasonerDataset(load_records(d.mix), codec, skeleton, d.augment, **kw))
        fractions = [1 - d.mix_ratio, d.mix_ratio] if d.mix else None
        val_src = load_records(d.val) if d.val else None
    val = None
    if val_src is not None:
        val = ReasonerDataset(val_src, codec, skeleton, None, input_levels=(4,), **kw)
    return StageData(groups, fractions, val=val, **common)
