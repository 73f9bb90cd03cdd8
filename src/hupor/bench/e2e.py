"""The end-to-end benchmark: rendered images in, the whole pipeline, MuPoTS-style scores out.

``N`` scenes of the generator's default occlusion mix (``SceneConfig`` defaults, ``people`` per scene,
``width x height`` px, seed ``seed``; scene ``i`` depends only on these) are rendered in memory and
predicted with the intrinsics passed (``K``). Rows (:func:`e2e_rows`):

* the bundle's networks: ``detector only`` / ``+ reasoner`` / ``+ reasoner + RefineNet`` (those the
  bundle has), each through :class:`hupor.methods.HuporMethod` and ``Predictor``;
* ``oracle``: :class:`hupor.methods.OracleMethod` at the bundle's input size and stride (ground-truth
  maps of all joints, perfect *visible-only* root-depth map), and ``oracle, perfect root`` (the root
  depth painted at every torso joint): the ceiling of the configuration.

Scores (:func:`hupor.bench.evaluate_predictions`, identity threshold 40 px scaled from a 2048-px
MuPoTS frame to ``width``): people found (matched) / annotated, all-people PCK_rel / PCK_abs /
PCK_occ, matched PCK_rel / PCK_abs / MPJPE_rel (mm), median network and decode ms per image.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass

import numpy as np

from ..errors import HuporError
from .evaluate import evaluate_predictions

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class E2ESpec:
    """The scenes: ``scenes`` of seed ``seed`` at ``width x height`` with ``min_people..max_people``."""

    seed: int = 9100
    scenes: int = 100
    width: int = 832
    height: int = 512
    min_people: int = 1
    max_people: int = 6

    @property
    def match_px(self) -> float:
        return 40.0 * self.width / 2048.0

    def scene_config(self):
        from ..data.synth import SceneConfig

        return SceneConfig(width=self.width, height=self.height, min_people=self.min_people,
                           max_people=self.max_people)


def render_scenes(spec: E2ESpec, motion=None) -> list:
    """``[(image_bgr, ImageRecord)]`` of the spec's scenes."""
    from ..data.synth.generate import render_scene
    from ..data.synth.mocap import load_motion_library

    motion = load_motion_library() if motion is None else motion
    cfg = spec.scene_config()
    return [render_scene(cfg, spec.seed, i, motion) for i in range(spec.scenes)]


def e2e_rows(bundle, oracle: bool = True, perfect_root: bool = True, runtime: str = "torch",
             precision: str = "fp32", **decode) -> dict:
    """Row name → method: the bundle's network combinations, then the oracle rows; ``decode`` fields
    override the bundle's ``decode:`` section in every row; ``runtime`` / ``precision``: the network rows'
    (``HuporMethod``'s; default torch fp32, the figures of docs/results.md)."""
    from ..methods import OracleMethod

    rows = {}
    variants = [("detector only", None, None)]
    if bundle.reasoner is not None:
        variants.append(("+ reasoner", bundle.reasoner, None))
        if bundle.refiner is not None:
            variants.append(("+ reasoner + RefineNet", bundle.reasoner, bundle.refiner))
    elif bundle.refiner is not None:
        variants.append(("+ RefineNet", None, bundle.refiner))
    for name, rea, ref in variants:
        rows[name] = bundle_variant(bundle, rea, ref, runtime=runtime, precision=precision, **decode)
    cp = bundle.codec_params()
    params = dataclasses.replace(bundle.decode_params, **decode)
    if oracle:
        rows["oracle"] = OracleMethod(cp, bundle.skeleton, decode=params)
        if perfect_root:
            rows["oracle, perfect root"] = OracleMethod(cp, bundle.skeleton, root="perfect", decode=params)
    return rows


def predict_scenes(method, scenes: list, min_score: float | None = None) -> tuple[list, list[float], list[float]]:
    """``method`` through ``Predictor`` on ``[(image_bgr, record)]`` (intrinsics and ground truth
    passed): ``(predictions as (joints_2d, joints_3d) pairs, network ms, decode ms)`` per scene.
    ``min_score``: the predictor's person threshold (None: the model's calibrated one)."""
    from ..predictor import Predictor

    pred = Predictor(method=method, min_score=min_score)
    preds, net_ms, dec_ms = [], [], []
    for img, rec in scenes:
        p = pred.predict_arrays([img], K=rec.intrinsics, records=[rec])[0]
        preds.append((p.joints_2d, p.joints_3d))
        net_ms.append(p.timings_ms["network"])
        dec_ms.append(p.timings_ms["decode"])
    return preds, net_ms, dec_ms


def run_row(method, scenes: list, match_px: float, sides=None, min_score: float | None = None) -> dict:
    """Predict every scene with ``method`` through ``Predictor`` (person threshold ``min_score``, None:
    the model's calibrated one) and score it; ``written`` / ``precision``: people written and the share
    of them matched to a true person. ``sides`` (the skeleton): also score the predictions with each
    person's left/right labelling chosen against the truth (key ``"sides"``,
    :func:`hupor.bench.sides.side_oracle`, a diagnostic)."""
    t0 = time.perf_counter()
    preds, net_ms, dec_ms = predict_scenes(method, scenes, min_score)
    records = [rec for _, rec in scenes]
    scores = evaluate_predictions(records, preds, match_px)
    written = int(sum(len(j2) for j2, _ in preds))
    out = {"all": scores["all"], "matched": scores["matched"], "network_ms": float(np.median(net_ms)),
           "decode_ms": float(np.median(dec_ms)), "wall_s": time.perf_counter() - t0, "written": written,
           "precision": scores["all"]["matched"] / written if written else None}
    if sides is not None:
        from .sides import side_oracle

        fixed, frac = side_oracle(preds, records, sides)
        s = evaluate_predictions(records, fixed, match_px)
        out["sides"] = {"all": s["all"], "matched": s["matched"], "network_ms": out["network_ms"],
                        "written": written, "precision": out["precision"],
                        "decode_ms": out["decode_ms"], "swapped": frac}
    return out


def bundle_variant(bundle, reasoner="keep", refiner="keep", runtime: str = "torch", precision: str = "fp32",
                   **decode):
    """A :class:`HuporMethod` of ``bundle`` with its reasoner / refiner replaced (``None`` = without),
    run by ``runtime`` at ``precision``, and ``decode`` fields overriding the bundle's ``decode:`` section."""
    from ..methods import HuporMethod

    b = dataclasses.replace(bundle, reasoner=bundle.reasoner if reasoner == "keep" else reasoner,
                            refiner=bundle.refiner if refiner == "keep" else refiner)
    return HuporMethod(b, decode=dataclasses.replace(bundle.decode_params, **decode) if decode else None,
                       runtime=runtime, precision=precision)


COLUMNS = ("found / annotated", "written", "precision", "all PCK_rel", "all PCK_abs", "all PCK_occ",
           "matched PCK_rel",
           "matched PCK_abs", "matched MPJPE_rel mm", "network ms", "decode ms")


def _f(v, nd=1) -> str:
    return "–" if v is None else f"{v:.{nd}f}"


def row_cells(r: dict) -> list[str]:
    a, m = r["all"], r["matched"]
    found = f"{a['matched']} / {a['instances']} ({100.0 * a['matched'] / max(a['instances'], 1):.0f} %)"
    prec = r.get("precision")
    return [found, str(r.get("written", "–")), "–" if prec is None else f"{100.0 * prec:.0f} %",
            _f(a["pck_rel"]), _f(a["pck_abs"]), _f(a["pck_occ"]), _f(m["pck_rel"]), _f(m["pck_abs"]),
            _f(m["mpjpe_rel"], 0), _f(r["network_ms"]), _f(r["decode_ms"], 2)]


def format_table(results: dict) -> str:
    """Markdown table of ``{row name: run_row result}``."""
    lines = ["| row | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for name, r in results.items():
        lines.append(f"| {name} | " + " | ".join(row_cells(r)) + " |")
    return "\n".join(lines)


def run_e2e(bundle, spec: E2ESpec, rows: list[str] | None = None, oracle: bool = True, log=None,
            sides: bool = False, runtime: str = "torch", precision: str = "fp32",
            min_score: float | None = None) -> dict:
    """Render, predict every row, score. ``rows``: a subset of the row names (default all); ``log``:
    progress callback (default: this module's logger at INFO); ``sides``: after each network row a
    row ``"NAME, sides from the truth"`` (:func:`hupor.bench.sides.side_oracle`); ``runtime`` /
    ``precision``: the network rows' (:func:`e2e_rows`); ``min_score``: the person threshold of every
    row (None: each model's calibrated ``decode.person_threshold``; 0: every decoded person)."""
    log = log or _log.info
    table = e2e_rows(bundle, oracle=oracle, runtime=runtime, precision=precision)
    if rows:
        unknown = sorted(set(rows) - set(table))
        if unknown:
            raise HuporError(f"e2e: unknown row {unknown[0]!r}; rows: {', '.join(table)}")
        table = {k: v for k, v in table.items() if k in rows}
    t0 = time.perf_counter()
    scenes = render_scenes(spec)
    log(f"rendered {len(scenes)} scenes ({sum(r.num_persons for _, r in scenes)} people) in "
        f"{time.perf_counter() - t0:.1f} s")
    out = {}
    for name, method in table.items():
        r = run_row(method, scenes, spec.match_px,
                    sides=bundle.skeleton if sides and not name.startswith("oracle") else None, min_score=min_score)
        side = r.pop("sides", None)
        out[name] = r
        log(f"{name}: " + ", ".join(f"{c} {v}" for c, v in zip(COLUMNS, row_cells(r))))
        if side is not None:
            out[f"{name}, sides from the truth"] = side
            log(f"{name}, sides from the truth ({100 * side['swapped']:.0f} % of people swapped): "
                + ", ".join(f"{c} {v}" for c, v in zip(COLUMNS, row_cells(side))))
    return out
