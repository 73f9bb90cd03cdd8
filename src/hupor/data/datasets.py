"""Torch datasets over canonical records (and on-the-fly synthetic scenes) for the three stages.

* :class:`DetectorDataset`: image → letterboxed/augmented network input (uint8 BGR, (3, H, W)) and
  the detector targets of ``Codec.encode``: "vis" maps at all levels, root depth, valid mask.
* :class:`ReasonerDataset`: annotations only (no image): input = "vis" maps57 at a random level,
  labels = "all" and "occ" maps57 at all levels, teacher input = one level of "all" (or "occ").
  Works over a :class:`~hupor.records.RecordSet` or any sequence of :class:`ImageRecord` (e.g. the
  on-the-fly ``SkeletonScenes``).
* :class:`DetectedReasonerDataset`: images + the reasoner's labels, for training the reasoner on a
  frozen detector's outputs (the detector runs in the training step; ``data.reasoner_source:
  detector``).
* :class:`PairsDataset`: RefineNet (features, target) pairs from ``.npz`` files.

Randomness (augmentation, level choice) is drawn from ``torch``'s generator, so ``seed_everything``
(with per-worker seeding) makes runs reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..errors import HuporError
from ..records import ImageRecord, RecordSet
from ..skeleton import MPI15, Skeleton
from .transforms import AugmentConfig, crop_transform, sample_transform, transform_joints


def _rng() -> np.random.Generator:
    return np.random.default_rng(int(torch.randint(0, 2**62, (1,)).item()))


def _key(key) -> tuple[int, np.random.Generator]:
    """A sample key → ``(index, rng)``. ``(index, seed)`` (from a seeded sampler,
    :class:`hupor.train.samplers.MixedBatchSampler`): the sample's augmentation is a function of
    that seed alone, so a resumed run redraws exactly the same samples; a bare index draws its seed
    from torch's global generator."""
    if isinstance(key, tuple):
        idx, seed = key
        return int(idx), np.random.default_rng(int(seed))
    return int(key), _rng()


def _encode(codec, rec: ImageRecord, j2, j3, vis, scale: float, levels, subsets):
    return codec.encode(j2, j3 if rec.has_3d else None, vis, rec.intrinsics.fx * scale,
                        has_3d=rec.has_3d, levels=levels, subsets=subsets)


def check_record_images(records: RecordSet) -> None:
    """Every image ``records`` name (``synth://`` scenes aside) is a regular file whose header size
    (:func:`hupor.media.image_header_size`, no decoding) is within the image limits and equals the
    record's ``width`` x ``height``; otherwise HuporError naming the record and the file."""
    from ..fileio import require_regular_file
    from ..media import check_size, image_header_size

    for k, rec in enumerate(records.records):
        if rec.path.startswith("synth://"):
            continue
        path = records.image_path(rec)
        where = f"record {k} ({rec.path})"
        try:
            require_regular_file(path, "image")
            size = image_header_size(path)
        except HuporError as exc:
            raise HuporError(f"{where}: {exc}") from None
        except OSError as exc:
            raise HuporError(f"{where}: {path}: cannot read ({exc.strerror or exc})") from None
        if size is None:
            continue  # a format whose header Pillow cannot read: the decoder checks it when loaded
        check_size(size[0], size[1], f"{where}: {path}")
        if tuple(size) != (rec.width, rec.height):
            raise HuporError(f"{where}: {path} is {size[0]}x{size[1]}, the record says {rec.width}x{rec.height}")


class DetectorDataset(Dataset):
    """Detector training samples from a :class:`RecordSet` with images.

    Item: ``image`` uint8 (3, net_h, net_w) BGR; ``maps`` float32 (L, J+3P, h, w) "vis" targets at
    ``levels``; ``root_depth`` float32 (n_torso, max_people, 3); ``valid`` float32 (J+3P,).
    With ``augment.crop_w/crop_h`` the image is a window of that size of the network input (and the
    maps are that window's, ``crop / stride``).
    """

    def __init__(self, records: RecordSet, codec, augment: AugmentConfig | None = None,
                 levels: Sequence[int] = (0, 1, 2, 3, 4)):
        self.records, self.codec, self.augment = records, codec, augment
        self.levels = tuple(levels)
        self.skeleton = records.skeleton
        self.crop_codec = None
        if augment is not None and augment.enabled and augment.crop_w:
            p = codec.params
            if augment.crop_w > p.net_w or augment.crop_h > p.net_h:
                raise HuporError(f"data.augment.crop_w/crop_h: {augment.crop_w}x{augment.crop_h} is larger "
                                 f"than the network input {p.net_w}x{p.net_h} (input.net_w/net_h)")
            if augment.crop_w % 32 or augment.crop_h % 32:
                raise HuporError(f"data.augment.crop_w/crop_h: {augment.crop_w}x{augment.crop_h} must be "
                                 f"multiples of 32 (the networks' total stride)")
            self.crop_codec = type(codec)(codec.skeleton, replace(p, net_w=augment.crop_w,
                                                                  net_h=augment.crop_h))
        check_record_images(records)  # before a run folder exists: a missing image fails here, not mid-run

    def __len__(self) -> int:
        return len(self.records)

    def load_image(self, rec: ImageRecord) -> np.ndarray:
        from ..media import read_image

        path = self.records.image_path(rec)
        image = read_image(path)  # header size and PNG chunks checked before decoding
        if image.shape[:2] != (rec.height, rec.width):
            raise HuporError(f"image {path}: size {image.shape[1]}x{image.shape[0]} differs from the "
                             f"record's {rec.width}x{rec.height}")
        return image

    def __getitem__(self, i) -> dict:
        i, rng = _key(i)
        rec = self.records[i]
        p = self.codec.params
        t = sample_transform(rec.width, rec.height, p.net_w, p.net_h, self.augment, rng, rec.has_3d)
        codec = self.codec
        if self.crop_codec is not None:
            pelvis = rec.joints_2d[:, self.skeleton.root] if rec.num_persons else None
            t = crop_transform(t, self.augment.crop_w, self.augment.crop_h, rng, pelvis,
                               self.augment.crop_person_prob)
            codec = self.crop_codec
        image = t.image(self.load_image(rec))
        j2, j3, vis = transform_joints(rec, t, self.skeleton)
        tg = _encode(codec, rec, j2, j3, vis, t.scale, self.levels, ("vis",))
        return {"image": torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))),
                "maps": torch.from_numpy(tg.maps["vis"]),
                "root_depth": torch.from_numpy(tg.root_depth.astype(np.float32)),
                "valid": torch.from_numpy(tg.valid.astype(np.float32))}


class ReasonerDataset(Dataset):
    """Reasoner (DSED) samples rendered from annotations (method §4.5, §6.4).

    Item: ``input`` (J+3P, h, w) "vis" maps at a random level among ``input_levels``; ``all`` and ``occ`` (L, J+3P, h, w)
    at all levels; ``teacher`` (J+3P, h, w) = ``teacher_subset`` at ``teacher_level``; ``valid``
    (J+3P,); ``level`` (int). Raw codec scale. ``with_image`` (a reasoner with ``image_input``,
    records with images): also ``image`` uint8 (3, net_h, net_w) BGR under the same transform.
    """

    def __init__(self, source: Sequence[ImageRecord], codec, skeleton: Skeleton = MPI15,
                 augment: AugmentConfig | None = None, teacher_subset: str = "all", teacher_level: int = 3,
                 levels: Sequence[int] = (0, 1, 2, 3, 4), input_levels: Sequence[int] | None = None,
                 with_image: bool = False):
        if with_image and not isinstance(source, RecordSet):
            raise HuporError("reasoner samples with images need records with images (a RecordSet)")
        self.images = DetectorDataset(source, codec) if with_image else None
        if teacher_subset not in ("all", "occ"):
            raise HuporError(f"teacher_subset must be 'all' or 'occ', got {teacher_subset!r}")
        self.source, self.codec, self.skeleton, self.augment = source, codec, skeleton, augment
        self.teacher_subset, self.teacher_level = teacher_subset, int(teacher_level)
        self.levels = tuple(levels)
        self.input_levels = self.levels if input_levels is None else tuple(input_levels)
        if self.teacher_level not in self.levels:
            raise HuporError(f"teacher_level {teacher_level} is not among the levels {self.levels}")

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, i) -> dict:
        i, rng = _key(i)
        rec = self.source[i]
        p = self.codec.params
        t = sample_transform(rec.width, rec.height, p.net_w, p.net_h, self.augment, rng, rec.has_3d)
        j2, j3, vis = transform_joints(rec, t, self.skeleton)
        level = int(rng.choice(self.input_levels))
        inp = _encode(self.codec, rec, j2, j3, vis, t.scale, (level,), ("vis",))
        lab = _encode(self.codec, rec, j2, j3, vis, t.scale, self.levels, ("all", "occ"))
        teacher = lab.maps[self.teacher_subset][self.levels.index(self.teacher_level)]
        item = {"input": torch.from_numpy(inp.maps["vis"][0]),
                "all": torch.from_numpy(lab.maps["all"]),
                "occ": torch.from_numpy(lab.maps["occ"]),
                "teacher": torch.from_numpy(np.ascontiguousarray(teacher)),
                "valid": torch.from_numpy(lab.valid.astype(np.float32)),
                "level": level}
        if self.images is not None:   # image_input: the same transform applied to the image
            image = t.image(self.images.load_image(rec))
            item["image"] = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
        return item


class DetectedReasonerDataset(DetectorDataset):
    """Reasoner samples whose input the frozen detector computes from ``image`` (method §13: the
    reasoning module trained on the detection module's outputs).

    Item: ``image`` uint8 (3, net_h, net_w) BGR (augmented as :class:`DetectorDataset`); ``all`` /
    ``occ`` (L, J+3P, h, w) labels; ``teacher`` (J+3P, h, w); ``valid`` (J+3P,). Raw codec scale.
    """

    def __init__(self, records: RecordSet, codec, augment: AugmentConfig | None = None,
                 teacher_subset: str = "all", teacher_level: int = 3, levels: Sequence[int] = (0, 1, 2, 3, 4)):
        super().__init__(records, codec, augment, levels)
        if teacher_level not in self.levels:
            raise HuporError(f"teacher_level {teacher_level} is not among the levels {self.levels}")
        self.teacher_subset, self.teacher_level = teacher_subset, int(teacher_level)

    def __getitem__(self, i) -> dict:
        i, rng = _key(i)
        rec = self.records[i]
        p = self.codec.params
        t = sample_transform(rec.width, rec.height, p.net_w, p.net_h, self.augment, rng, rec.has_3d)
        image = t.image(self.load_image(rec))
        j2, j3, vis = transform_joints(rec, t, self.skeleton)
        lab = _encode(self.codec, rec, j2, j3, vis, t.scale, self.levels, ("all", "occ"))
        teacher = lab.maps[self.teacher_subset][self.levels.index(self.teacher_level)]
        return {"image": torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))),
                "all": torch.from_numpy(lab.maps["all"]), "occ": torch.from_numpy(lab.maps["occ"]),
                "teacher": torch.from_numpy(np.ascontiguousarray(teacher)),
                "valid": torch.from_numpy(lab.valid.astype(np.float32))}


def load_records(paths: Sequence[str]) -> RecordSet:
    """Concatenate canonical record files into one :class:`RecordSet` (each keeps its image root:
    relative image paths are made absolute)."""
    recs: list[ImageRecord] = []
    skeleton = None
    for path in paths:
        rs = RecordSet.load(path)
        if skeleton is not None and rs.skeleton.name != skeleton.name:
            raise HuporError(f"{path}: skeleton {rs.skeleton.name} differs from {skeleton.name}")
        skeleton = rs.skeleton
        for r in rs.records:
            r = r.copy()
            r.path = str(rs.image_path(r))
            recs.append(r)
    if not recs:
        raise HuporError(f"no records in {', '.join(paths) or 'an empty dataset list'}")
    return RecordSet(recs, skeleton or MPI15, "+".join(Path(p).stem for p in paths))


PAIR_KEYS = ("features", "target")


def load_pairs(paths: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Load RefineNet pairs: ``features`` (N, J, 5) float32 (see ``nets.refinenet.refine_features``)
    and ``target`` (N, J, 3) float32, root-relative cm, from ``.npz`` files (no pickle)."""
    feats, targets = [], []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise HuporError(f"pairs file {path}: no such file")
        try:
            with np.load(path, allow_pickle=False) as z:
                missing = [k for k in PAIR_KEYS if k not in z]
                if missing:
                    raise HuporError(f"pairs file {path}: missing array {missing[0]!r}")
                f, t = z["features"].astype(np.float32), z["target"].astype(np.float32)
        except (ValueError, OSError) as exc:
            raise HuporError(f"pairs file {path}: not a valid .npz ({exc})") from None
        if f.ndim != 3 or f.shape[2] not in (5, 6) or t.shape != f.shape[:2] + (3,):
            raise HuporError(f"pairs file {path}: expected features (N, J, 5) (6 with a hint channel) and "
                             f"target (N, J, 3), got {f.shape} and {t.shape}")
        if not (np.isfinite(f).all() and np.isfinite(t).all()):
            raise HuporError(f"pairs file {path}: non-finite values")
        feats.append(f)
        targets.append(t)
    if not feats or sum(len(f) for f in feats) == 0:
        raise HuporError(f"no RefineNet pairs in {', '.join(map(str, paths)) or 'an empty list'}")
    if len({f.shape[2] for f in feats}) > 1:
        raise HuporError(f"pairs files {', '.join(map(str, paths))}: some have a hint channel (6 features), "
                         "some do not (5)")
    return np.concatenate(feats), np.concatenate(targets)


class PairsDataset(Dataset):
    """RefineNet pairs: item = (features (J, 5), target (J, 3) root-relative cm) float32 tensors."""

    def __init__(self, features: np.ndarray, target: np.ndarray):
        self.features = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
        self.target = torch.from_numpy(np.ascontiguousarray(target, dtype=np.float32))

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, i: int):
        return self.features[i], self.target[i]
