"""Scene rendering and the dataset writer (images + canonical annotation JSON).

Scene ``i`` of a dataset with seed ``s`` is a pure function of ``(config, s, i)`` (see
:func:`.scene.scene_rng`), so a dataset made with any number of workers is identical to a serial one.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np

from ...errors import HuporError
from ...fileio import write_atomic, write_json_atomic
from ...records import ImageRecord, RecordSet
from ...skeleton import MPI15
from .mocap import MotionLibrary, load_motion_library
from .occlusion import scene_record
from .render import Rendering, render
from .scene import SceneConfig, sample_scene

log = logging.getLogger(__name__)

ANNOTATION_FILE = "annotations.json"
IMAGE_DIR = "images"


def render_scene(config: SceneConfig = SceneConfig(), seed: int = 0, index: int = 0,
                 motion: MotionLibrary | None = None, maps: bool = False,
                 path: str | None = None) -> tuple[np.ndarray, ImageRecord] | tuple[np.ndarray, ImageRecord, Rendering]:
    """Sample and render one scene.

    Returns ``(image_bgr (H, W, 3) uint8, record)``; the record holds the intrinsics, 2D joints (px),
    3D joints (mm, camera frame), visibility and occlusion causes. With ``maps=True`` a third item,
    the :class:`.render.Rendering` with the person-id mask and depth map, is returned too.
    ``motion`` defaults to the clips of the installed pybullet (``hupor[data]``).
    """
    motion = load_motion_library() if motion is None else motion
    scene = sample_scene(config, motion, seed, index)
    rec = scene_record(scene, config, path or f"synth_{seed}_{index:06d}.png")
    out = render(scene, ids=maps, depth=maps)
    return (out.image, rec, out) if maps else (out.image, rec)


def _write_image(path: Path, image: np.ndarray, params: list) -> None:
    def write(p: Path) -> None:
        if not cv2.imwrite(str(p), image, params):
            raise HuporError(f"{p}: could not write image")

    write_atomic(path, write)


class _Worker:
    """Renders and writes scenes in a worker process (state set once per process)."""

    def __init__(self, config: SceneConfig, seed: int, out_dir: str, ext: str, motion_dir: str | None,
                 jpeg_quality: int, maps: bool):
        self.config, self.seed, self.out_dir, self.ext = config, seed, Path(out_dir), ext
        self.motion_dir, self.quality, self.maps = motion_dir, jpeg_quality, maps
        self.motion: MotionLibrary | None = None

    def __call__(self, index: int) -> dict:
        if self.motion is None:
            self.motion = load_motion_library(self.motion_dir)
        rel = f"{IMAGE_DIR}/{index:06d}{self.ext}"
        image, rec, *maps = render_scene(self.config, self.seed, index, self.motion, maps=self.maps, path=rel)
        if maps:
            rec.mask = f"{IMAGE_DIR}/{index:06d}_ids.png"
        params = [cv2.IMWRITE_JPEG_QUALITY, self.quality] if self.ext == ".jpg" else []
        _write_image(self.out_dir / rel, image, params)
        if maps:
            out = maps[0]
            # ids: 0 background, 1 occluder, 2 + person index (sampled order, see meta.person_index)
            raw = out.ids.astype(np.int32)                  # rendered: -1 background, -2 occluder, person >= 0
            ids = np.clip(np.where(raw == -1, 0, np.where(raw == -2, 1, raw + 2)), 0, 65535).astype(np.uint16)
            _write_image(self.out_dir / f"{IMAGE_DIR}/{index:06d}_ids.png", ids, [])
            depth = np.clip(np.rint(out.depth), 0, 65535).astype(np.uint16)  # mm
            _write_image(self.out_dir / f"{IMAGE_DIR}/{index:06d}_depth.png", depth, [])
        return rec.to_json()


def generate(out_dir: str | Path, scenes: int, seed: int = 0, config: SceneConfig = SceneConfig(),
             workers: int = 1, image_format: str = "jpg", motion_dir: str | Path | None = None,
             progress: bool = False, jpeg_quality: int = 92, maps: bool = False) -> Path:
    """Write ``scenes`` rendered scenes to ``out_dir/images/NNNNNN.{jpg,png}`` and the canonical
    annotations to ``out_dir/annotations.json`` (written atomically, last). Returns the JSON path.

    ``workers`` processes render in parallel (results are identical to ``workers=1``);
    ``progress`` shows a tqdm bar on stderr. The generator settings are written to
    ``out_dir/synth_config.json``. ``maps`` also writes ``NNNNNN_ids.png`` (uint16: 0 background,
    1 occluder, 2 + sampled person index) and ``NNNNNN_depth.png`` (uint16 camera Z in mm).
    """
    if scenes < 1:
        raise HuporError(f"scenes must be at least 1, got {scenes}")
    if workers < 1:
        raise HuporError(f"workers must be at least 1, got {workers}")
    fmt = image_format.lower().lstrip(".")
    if fmt not in ("jpg", "jpeg", "png"):
        raise HuporError(f"image_format must be jpg or png, got {image_format!r}")
    ext = ".png" if fmt == "png" else ".jpg"
    out_dir = Path(out_dir)
    mdir = None if motion_dir is None else str(motion_dir)
    load_motion_library(mdir)  # fail early (with the install hint) before starting workers
    (out_dir / IMAGE_DIR).mkdir(parents=True, exist_ok=True)
    worker = _Worker(config, seed, str(out_dir), ext, mdir, jpeg_quality, maps)
    from tqdm import tqdm

    bar = tqdm(total=scenes, desc="synth", unit="scene", disable=not progress)
    results: list[dict] = []
    try:
        if workers == 1:
            for i in range(scenes):
                results.append(worker(i))
                bar.update(1)
        else:
            ctx = mp.get_context()
            chunk = max(1, min(16, scenes // (workers * 8)))
            # the workers take Python's default SIGTERM back: the pool ends them with it when it closes,
            # and hupor's handler (hupor.interrupt) would print a traceback from each
            with ctx.Pool(workers, initializer=signal.signal, initargs=(signal.SIGTERM, signal.SIG_DFL)) as pool:
                for rec in pool.imap(worker, range(scenes), chunksize=chunk):
                    results.append(rec)
                    bar.update(1)
    finally:
        bar.close()
    records = RecordSet.from_json({"format": "hupor-records", "version": 1, "skeleton": MPI15.name,
                                   "dataset": "synth", "images": results}, "synth")
    write_json_atomic(out_dir / "synth_config.json",
                      {"seed": seed, "scenes": scenes, "config": _jsonable(asdict(config))})
    path = records.save(out_dir / ANNOTATION_FILE)
    log.info("wrote %d scenes to %s", scenes, out_dir)
    return path


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj
