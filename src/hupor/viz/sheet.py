"""Contact sheet: a PNG grid of dataset images with their skeletons drawn.

Visible joints (v = 2) are filled discs, occluded ones (v = 1) hollow circles whose colour tells the
cause (person red, object blue, self yellow, unknown white); joints with v = 0 are not drawn. Limbs
are drawn where both ends are labelled (dashed-looking thin lines when an end is occluded).
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from ..errors import HuporError
from ..fileio import write_atomic
from ..records import CAUSE_CODE, RecordSet
from ..skeleton import MPI15

_CAUSE_BGR = {CAUSE_CODE["person"]: (60, 60, 255), CAUSE_CODE["object"]: (255, 140, 40),
              CAUSE_CODE["self"]: (40, 230, 255)}
_PERSON_BGR = [(80, 220, 80), (255, 200, 60), (200, 120, 255), (60, 200, 255), (255, 120, 160),
               (150, 255, 200), (120, 160, 255), (230, 230, 120)]


def load_image(records: RecordSet, index: int) -> np.ndarray:
    """BGR image of record ``index``; skeleton-only records (``synth://`` paths) get a grey canvas."""
    rec = records[index]
    if rec.path.startswith("synth://"):
        return np.full((rec.height, rec.width, 3), 96, dtype=np.uint8)
    path = records.image_path(rec)
    if not Path(path).is_file():
        raise HuporError(f"images[{index}]: image file {path} not found")
    from ..media import read_image

    try:
        return read_image(path)  # header size and PNG chunks checked before decoding
    except HuporError as exc:
        raise HuporError(f"images[{index}]: {exc}") from None


def draw_record(image: np.ndarray, rec, scale: float = 1.0) -> np.ndarray:
    """Draw the skeletons of ``rec`` (joints in original px) onto ``image`` resized by ``scale``."""
    h, w = image.shape[:2]
    out = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    rad = max(2, round(3 * max(scale, 0.6)))
    for p in range(rec.num_persons):
        col = _PERSON_BGR[p % len(_PERSON_BGR)]
        pts = np.round(rec.joints_2d[p] * scale).astype(np.int64)
        v = rec.visibility[p]
        for a, b in MPI15.limbs:
            if v[a] > 0 and v[b] > 0:
                thick = 2 if (v[a] == 2 and v[b] == 2) else 1
                cv2.line(out, tuple(map(int, pts[a])), tuple(map(int, pts[b])), col, thick, cv2.LINE_AA)
        for j in range(rec.num_joints):
            c = tuple(map(int, pts[j]))
            if v[j] == 2:
                cv2.circle(out, c, rad, col, -1, cv2.LINE_AA)
                cv2.circle(out, c, rad, (0, 0, 0), 1, cv2.LINE_AA)
            elif v[j] == 1:
                cc = _CAUSE_BGR.get(int(rec.cause[p, j]), (255, 255, 255))
                cv2.circle(out, c, rad + 1, cc, 2, cv2.LINE_AA)
    return out


def sheet_bytes(records: RecordSet, max_images: int, cell_width: int) -> float:
    """Memory (bytes) of the sheet of ``max_images`` records at ``cell_width``: the cells (uint8 BGR,
    kept until the sheet is assembled), the sheet itself and the largest source image."""
    recs = records.records[:max_images]
    cells = sum(cell_width * max(1.0, cell_width * r.height / max(r.width, 1)) * 3 for r in recs)
    largest = max((r.width * r.height * 3 for r in recs), default=0)
    return 2.0 * cells + largest


def contact_sheet(records: RecordSet, max_images: int = 16, cell_width: int = 320,
                  cols: int | None = None, available: int | None = None) -> np.ndarray:
    """A BGR grid of the first ``max_images`` records, each scaled to ``cell_width`` px wide. A sheet
    whose :func:`sheet_bytes` exceed the memory available (``available`` bytes, default: this machine's
    now) is refused before any image is read."""
    from ..memory import check_memory

    n = min(len(records), max_images)
    if n < 1:
        raise HuporError("contact sheet: the dataset has no images")
    check_memory(sheet_bytes(records, max_images, cell_width), f"--cell-width {cell_width}", available,
                 hint="choose a smaller --cell-width or --max")
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    cells = []
    for i in range(n):
        rec = records[i]
        s = cell_width / rec.width
        cell = draw_record(load_image(records, i), rec, s)
        label = f"#{i} n={rec.num_persons}"
        cv2.putText(cell, label, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(cell, label, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
        cells.append(cell)
    cell_h = max(c.shape[0] for c in cells)
    sheet = np.full((rows * (cell_h + 4) + 4, cols * (cell_width + 4) + 4, 3), 30, dtype=np.uint8)
    for i, c in enumerate(cells):
        r, k = divmod(i, cols)
        y, x = 4 + r * (cell_h + 4), 4 + k * (cell_width + 4)
        sheet[y:y + c.shape[0], x:x + c.shape[1]] = c
    return sheet


def write_contact_sheet(source: str | Path, out: str | Path, max_images: int = 16,
                        cell_width: int = 320) -> Path:
    """Read a records JSON (or a folder holding ``annotations.json``) and write the sheet PNG."""
    source = Path(source)
    if source.is_dir():
        source = source / "annotations.json"
    records = RecordSet.load(source)
    sheet = contact_sheet(records, max_images, cell_width)

    def write(p: Path) -> None:
        if not cv2.imwrite(str(p), sheet):
            raise HuporError(f"{out}: could not write PNG")

    return write_atomic(Path(out).with_suffix(".png") if Path(out).suffix == "" else Path(out), write)
