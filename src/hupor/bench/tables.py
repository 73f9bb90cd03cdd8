"""Markdown tables of the ablation results (``benchmarks/ablations.py`` → ``results.json``).

A row with several run seeds shows ``mean ± spread`` where spread = half the range (max − min)/2 over
the seeds; the ``n`` column says how many seeds a row has (rows not run are marked "not run").
"""

from __future__ import annotations

import numpy as np

COLUMNS = [("matched", "pck_rel", "PCK_rel"), ("matched", "pck_abs", "PCK_abs"), ("matched", "pck_occ", "PCK_occ"),
           ("matched", "auc_rel", "AUC_rel"), ("matched", "mpjpe_rel", "MPJPE_rel"),
           ("matched", "mpjpe_occ", "MPJPE_occ"),
           ("all", "pck_rel", "PCK_rel"), ("all", "pck_abs", "PCK_abs"), ("all", "pck_occ", "PCK_occ"),
           ("all", "auc_rel", "AUC_rel")]

GROUPS_A = [
    ("Reasoning", [("oracle", "oracle (ground-truth maps of all joints)"),
                   ("none", "no reasoning (visible maps only)"), ("hg", "+ Reason (Hg)"),
                   ("dsed-1234", "+ Reason (DSED)")]),
    ("Deep supervision (DSED)", [("dsed-4", "S-4"), ("dsed-14", "S-1/4"), ("dsed-234", "S-2/3/4"),
                                 ("dsed-1234", "S-1/2/3/4"),
                                 ("dsed-occ", "S-1/2/3/4, teacher fed occluded joints")]),
    ("RefineNet (on DSED S-1/2/3/4)", [("dsed-1234", "none"), ("refine-gcn", "GCN"), ("refine-mlp", "MLP")]),
    ("RefineNet (on Reason (Hg))", [("hg", "none"), ("refine-hg-gcn", "GCN"), ("refine-hg-mlp", "MLP")]),
    ("RefineNet (on DSED S-4, student decoded)", [("dsed-sd-4", "none"), ("refine-dsed-sd-4-gcn", "GCN"),
                                                  ("refine-dsed-sd-4-mlp", "MLP")]),
    ("DSED, student path decoded in training", [("dsed-sd-1234", "S-1/2/3/4"), ("dsed-sd-4", "S-4"),
                                                ("dsed-sd-14", "S-1/4"), ("dsed-sd-234", "S-2/3/4"),
                                                ("dsed-sd-none", "no distillation")]),
    ("Image input (supplement Table 6; DSED, student decoded, rendered scenes)",
     [("rec-dsed-sd", "w/o image"), ("rec-dsed-sd-img", "w/ image")]),
    ("Root-depth rule (on DSED S-1/2/3/4)", [("root-pelvis", "pelvis only"), ("root-weighted", "weighted average"),
                                            ("root-cascade", "symmetry-pair cascade")]),
    ("Root-depth rule (on Reason (Hg))", [("root-hg-pelvis", "pelvis only"), ("root-hg-weighted", "weighted average"),
                                         ("root-hg-cascade", "symmetry-pair cascade")]),
]
GROUPS_B = [
    ("End to end (detector of the bundle)", [("det", "detector only"), ("bundle-reasoner", "+ the bundle's DSED"),
                                             ("bundle-refiner", "+ the bundle's DSED + RefineNet"),
                                             ("hg", "+ Reason (Hg) of (a)"), ("dsed-1234", "+ DSED S-1/2/3/4 of (a)"),
                                             ("dsed-4", "+ DSED S-4 of (a)")]),
    ("End to end, root-depth rule (+ the bundle's DSED)", [("root-pelvis", "pelvis only"),
                                                           ("root-weighted", "weighted average"),
                                                           ("root-cascade", "symmetry-pair cascade")]),
]


def row_runs(rows: dict, part: str, key: str) -> list[dict]:
    """All runs of one row: ``part/key`` (seedless) or ``part/key/s<seed>``, seeds in order."""
    if f"{part}/{key}" in rows:
        return [rows[f"{part}/{key}"]]
    runs = [(k, v) for k, v in rows.items() if k.startswith(f"{part}/{key}/s")]
    return [v for _, v in sorted(runs, key=lambda kv: int(kv[0].rsplit("/s", 1)[1]))]


def fmt(values: list) -> str:
    vals = [v for v in values if v is not None]
    if not vals:
        return "–"
    if len(vals) == 1:
        return f"{vals[0]:.1f}"
    return f"{np.mean(vals):.1f} ± {(max(vals) - min(vals)) / 2:.1f}"


def table(rows: dict, part: str, groups) -> str:
    head = ("| row | n | " + " | ".join(f"{m} {label}" for m, _, label in COLUMNS)
            + " | matched / people |")
    lines = [head, "|" + "---|" * (len(COLUMNS) + 3)]
    for title, entries in groups:
        lines.append(f"| **{title}** |" + " |" * (len(COLUMNS) + 2))
        for key, label in entries:
            runs = row_runs(rows, part, key)
            if not runs:
                lines.append(f"| {label} | 0 | " + " | ".join("not run" for _ in COLUMNS) + " | – |")
                continue
            cells = [fmt([r[mode][k] for r in runs]) for mode, k, _ in COLUMNS]
            counts = fmt([r["all"]["matched"] for r in runs]) + f" / {runs[0]['all']['instances']}"
            lines.append(f"| {label} | {len(runs)} | " + " | ".join(cells) + f" | {counts} |")
    return "\n".join(lines)


def render_tables(results: dict) -> str:
    """Both ablation tables (reasoning in isolation, end to end) and the training times."""
    rows = results.get("rows", {})
    out = []
    if any(k.startswith("a/") for k in rows):
        out += [f"test split: {results.get('test_stats', {})}", "",
                "(a) reasoning in isolation (GT-rendered visible maps, visible-only root-depth map)", "",
                table(rows, "a", GROUPS_A), ""]
    else:
        out += ["(a) reasoning in isolation: not run", ""]
    if any(k.startswith("b/") for k in rows):
        out += [f"(b) end to end, bundle {results.get('detector', '?')}, test split "
                f"{results.get('test_stats_b', {})}", "", table(rows, "b", GROUPS_B), ""]
    else:
        out += ["(b) end to end: not run", ""]
    train = results.get("train", {})
    if train:
        out += ["| run | steps | train wall s | val occ_hm_err | val occ_hm_err_copy | teacher-path err |",
                "|---|---|---|---|---|---|"]
        for k, v in train.items():
            m = v.get("metrics", {})
            cells = [m.get(f"val/{n}") for n in ("occ_hm_err", "occ_hm_err_copy", "occ_hm_err_teacher")]
            out.append(f"| {k} | {v.get('steps', '')} | {v.get('train_s', 0):.0f} | "
                       + " | ".join("" if c is None else f"{c:.4f}" for c in cells) + " |")
    curves = curve_table(rows)
    if curves:
        out += ["", "learning curves (test split, all people)", "", curves]
    return "\n".join(out)


def curve_table(rows: dict) -> str:
    """Rows ``curve/KEY/sSEED/STEP`` as a markdown table: step, all PCK_rel, PCK_occ, found."""
    pts = sorted(((k.split("/")[1], k.split("/")[2], int(k.split("/")[3]), v) for k, v in rows.items()
                  if k.startswith("curve/")), key=lambda t: t[:3])
    if not pts:
        return ""
    lines = ["| row | seed | step | all PCK_rel | all PCK_occ | matched / people |", "|---|---|---|---|---|---|"]
    for key, seed, step, v in pts:
        a = v["all"]
        lines.append(f"| {key} | {seed} | {step} | {fmt([a.get('pck_rel')])} | {fmt([a.get('pck_occ')])} | "
                     f"{a.get('matched')} / {a.get('instances')} |")
    return "\n".join(lines)
