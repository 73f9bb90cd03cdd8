"""Shared pieces of the dataset converters: the conversion report and small validators."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ...errors import HuporError
from ...records import float_array


@dataclass
class ConvertReport:
    """What a converter read and what it dropped (counts), for the CLI summary."""

    kind: str
    source: str
    images_read: int = 0
    persons_read: int = 0
    images_kept: int = 0
    persons_kept: int = 0
    dropped: Counter = field(default_factory=Counter)   # reason -> count
    notes: list[str] = field(default_factory=list)

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] += n

    def summary(self) -> str:
        lines = [f"{self.kind}: read {self.images_read} images / {self.persons_read} persons from {self.source}",
                 f"kept {self.images_kept} images / {self.persons_kept} persons"]
        for reason, n in sorted(self.dropped.items()):
            lines.append(f"dropped {n}: {reason}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "source": self.source, "images_read": self.images_read,
                "persons_read": self.persons_read, "images_kept": self.images_kept,
                "persons_kept": self.persons_kept, "dropped": dict(self.dropped), "notes": list(self.notes)}


def numeric(value, shape: tuple, where: str) -> np.ndarray:
    """``value`` as a finite float array of ``shape`` (-1 = any); clear HuporError otherwise."""
    arr = float_array(value, where)
    try:
        arr = arr.reshape(shape)
    except ValueError:
        raise HuporError(f"{where}: expected {np.prod([s for s in shape if s > 0])} values "
                         f"(shape {shape}), got shape {arr.shape}") from None
    if not np.isfinite(arr).all():
        raise HuporError(f"{where}: non-finite value (NaN or inf)")
    return arr


def require(d, key: str, where: str):
    if not isinstance(d, dict):
        raise HuporError(f"{where}: expected an object")
    if key not in d:
        raise HuporError(f"{where}: missing field {key!r}")
    return d[key]


def coco_index(data, where: str) -> tuple[list, dict]:
    """COCO-style ``images`` / ``annotations`` → (images, {image_id: [annotation index, ...]})."""
    images = require(data, "images", where)
    anns = require(data, "annotations", where)
    if not isinstance(images, list) or not isinstance(anns, list):
        raise HuporError(f"{where}: 'images' and 'annotations' must be lists")
    by_image: dict = {}
    for k, a in enumerate(anns):
        by_image.setdefault(require(a, "image_id", f"{where}: annotations[{k}]"), []).append(k)
    return images, by_image
