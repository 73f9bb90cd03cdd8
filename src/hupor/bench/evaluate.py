"""MuPoTS-style metrics of the synthetic benchmark, through :func:`hupor.eval.mupots.evaluate_mupots`.

One split = one sequence; figures are pooled over all person-instances (``pooled``). Metrics per mode
("matched" people, "all" people; undetected people count as misses in "all"):

* ``pck_rel`` / ``auc_rel`` / ``pck_occ`` / ``pck_vis``: root-relative setting (PCK < 150 mm over the
  14 scored joints; PCK_occ/vis over occluded/visible joints, the kit's masked rule);
* ``pck_abs`` / ``auc_abs``: camera-frame setting;
* ``mpjpe_rel`` / ``mpjpe_occ`` (mm): root-relative, **matched mode only** (the evaluator leaves them
  undefined in the all-people mode, where the kit's 100 000-mm misses make them meaningless);
* ``matched`` / ``instances``: matched and annotated person-instances.

Identity matching uses the 40-px MuPoTS threshold scaled to the image width (``BenchSpec.match_px``).
"""

from __future__ import annotations

from ..eval.mupots import evaluate_mupots

METRIC_KEYS = ("pck_rel", "pck_abs", "pck_occ", "pck_vis", "auc_rel", "auc_abs", "mpjpe_rel", "mpjpe_occ",
               "matched", "instances")


def evaluate_predictions(records, predictions, match_px: float) -> dict[str, dict[str, float | None]]:
    """``records``: ImageRecords (MPI15, mm); ``predictions``: aligned list of ``codec.Poses``, ``None``
    or ``(joints_2d (P,J,2) px, joints_3d (P,J,3) mm)`` pairs. Returns ``{"matched": {...}, "all":
    {...}}`` with :data:`METRIC_KEYS` (``None`` where undefined)."""
    records = list(records)
    rel = evaluate_mupots(records, list(predictions), relative=True, threshold_px=match_px)
    ab = evaluate_mupots(records, list(predictions), relative=False, threshold_px=match_px)
    out = {}
    for mode in ("matched", "all"):
        r, a = rel.modes[mode].pooled, ab.modes[mode].pooled
        out[mode] = {"pck_rel": r.pck, "pck_abs": a.pck, "pck_occ": r.pck_occ, "pck_vis": r.pck_vis,
                     "auc_rel": r.auc, "auc_abs": a.auc,
                     "mpjpe_rel": r.mpjpe if mode == "matched" else None,
                     "mpjpe_occ": r.mpjpe_occ if mode == "matched" else None,
                     "matched": r.matched, "instances": r.instances}
    return out
