"""The person-score threshold a model writes people at (``decode.person_threshold`` of a bundle).

:func:`threshold_table` predicts rendered scenes once with every decoded person (``min_score`` 0), then
for each candidate threshold keeps the people scoring at least that much (what ``Predictor`` does) and
scores them with the MuPoTS protocol of ``hupor bench e2e``: people written, matched (recall) and the
share of written people that match a true one (precision). :func:`choose_threshold` takes the
threshold with the best F1 of recall and precision (the lowest among ties): "a person written is a
person" without giving up the people found. Calibrate on a validation seed, never on a test seed.
"""

from __future__ import annotations

import numpy as np

from .evaluate import evaluate_predictions


def threshold_table(predictions: list, records: list, match_px: float, values) -> list[dict]:
    """``predictions``: one :class:`hupor.schema.Prediction` per record, made with ``min_score=0``.
    Returns one row per value: ``{"threshold", "written", "matched", "annotated", "recall",
    "precision", "f1", "pck_rel", "pck_abs", "pck_occ"}`` (recall / precision / f1 in [0, 1])."""
    rows = []
    for v in values:
        masks = [np.asarray(p.person_scores) >= v for p in predictions]
        kept = [(p.joints_2d[k], p.joints_3d[k]) for p, k in zip(predictions, masks)]
        a = evaluate_predictions(records, kept, match_px)["all"]
        written = int(sum(int(k.sum()) for k in masks))
        recall = a["matched"] / max(a["instances"], 1)
        precision = a["matched"] / written if written else 0.0
        f1 = 2 * recall * precision / (recall + precision) if recall + precision > 0 else 0.0
        rows.append({"threshold": float(v), "written": written, "matched": int(a["matched"]),
                     "annotated": int(a["instances"]), "recall": recall, "precision": precision, "f1": f1,
                     "pck_rel": a["pck_rel"], "pck_abs": a["pck_abs"], "pck_occ": a["pck_occ"]})
    return rows


def candidate_thresholds(predictions: list, count: int = 40) -> list[float]:
    """0 and ``count`` quantiles of the predicted person scores (below 1), sorted, unique."""
    scores = np.concatenate([np.asarray(p.person_scores, np.float64) for p in predictions] + [np.zeros(0)])
    qs = np.quantile(scores, np.linspace(0.0, 0.98, count)) if scores.size else np.zeros(0)
    return sorted({0.0, *(round(float(q), 4) for q in qs if 0.0 < q < 1.0)})


def choose_threshold(rows: list[dict]) -> dict:
    """The row with the highest F1 (the lowest threshold among equal F1)."""
    return max(rows, key=lambda r: (round(r["f1"], 9), -r["threshold"]))


def format_threshold_table(rows: list[dict], chosen: float | None = None) -> str:
    """Markdown table of :func:`threshold_table` rows; the chosen threshold's row is marked."""
    out = ["| person threshold | written | found / annotated | recall | precision | F1 | all PCK_rel | "
           "all PCK_abs | all PCK_occ |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        mark = " **(chosen)**" if chosen is not None and r["threshold"] == chosen else ""
        out.append(f"| {r['threshold']:g}{mark} | {r['written']} | {r['matched']} / {r['annotated']} | "
                   f"{100 * r['recall']:.0f} % | {100 * r['precision']:.0f} % | {r['f1']:.3f} | "
                   f"{r['pck_rel']:.1f} | {r['pck_abs']:.1f} | {r['pck_occ']:.1f} |")
    return "\n".join(out)
