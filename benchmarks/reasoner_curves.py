"""Learning curves of the ablation's reasoner rows (issue "reasoning claims"): PNG + JSON.

    .venv/bin/python benchmarks/reasoner_curves.py --out runs/bench-s2 runs/bench-s2-s1 \\
        --png docs/figures/reasoner_curves_s5.png [--json docs/figures/reasoner_curves_s5.json]

Reads each ``OUT/results.json`` (rows ``curve/KEY/sSEED/STEP`` of ``benchmarks/ablations.py --curve-every``:
the test split scored at every kept checkpoint) and each run's ``logs/version_*/metrics.csv`` (the
validation metrics logged at the same steps: the student path's occluded-joint heatmap error, the
"copy the input" baseline, the teacher-fed decode and the per-block feature-matching error of DSED).
x axis: samples seen (steps × the batch size of results.json). Panels: (1) all-people PCK_occ on the
test split, with the oracle and no-reasoning rows; (2) validation occluded-joint heatmap error
(student, teacher path, copy); (3) DSED's feature-matching error per encoder block.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path


def _metrics(run: Path) -> dict[int, dict]:
    rows: dict[int, dict] = {}
    for f in sorted(run.glob("logs/version_*/metrics.csv")):
        for r in csv.DictReader(open(f)):
            vals = {k: float(v) for k, v in r.items() if k.startswith("val/") and v}
            if vals and r.get("step"):
                rows.setdefault(int(r["step"]) + 1, {}).update(vals)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", nargs="+", default=["runs/bench-s2"],
                    help="ablation folders (same benchmark definition; e.g. one per run seed)")
    ap.add_argument("--png", required=True)
    ap.add_argument("--json", default="")
    ap.add_argument("--table", action="store_true", help="also print the compact table (a) of these folders")
    args = ap.parse_args()
    results = [(Path(o), json.loads((Path(o) / "results.json").read_text())) for o in args.out]
    from hupor.bench.definition import same_definition

    specs = [r.get("spec") for _, r in results]
    if not all(same_definition(a, b) or same_definition(b, a) for a in specs for b in specs):
        raise SystemExit("the folders hold different benchmark definitions")
    batch = int(results[0][1].get("batch", 4))
    rows = {k: v for _, r in results for k, v in r["rows"].items()}
    run_dir = {}
    curves: dict[str, dict] = {}
    for out, r in results:
        for k in r["rows"]:
            if k.startswith("curve/"):
                run_dir[f"{k.split('/')[1]}/{k.split('/')[2]}"] = out
    for k, v in rows.items():
        if not k.startswith("curve/"):
            continue
        _, key, seed, step = k.split("/")
        c = curves.setdefault(f"{key}/{seed}", {"steps": [], "pck_occ": [], "pck_rel": []})
        c["steps"].append(int(step))
        c["pck_occ"].append(v["all"]["pck_occ"])
        c["pck_rel"].append(v["all"]["pck_rel"])
    for name, c in curves.items():
        order = sorted(range(len(c["steps"])), key=lambda i: c["steps"][i])
        for f in ("steps", "pck_occ", "pck_rel"):
            c[f] = [c[f][i] for i in order]
        key, seed = name.split("/")
        c["val"] = {str(s): m for s, m in sorted(_metrics(run_dir[name] / f"{key}-{seed}").items())}
    ref = {k: rows[f"a/{k}"]["all"] for k in ("oracle", "none") if f"a/{k}" in rows}

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
    for name, c in curves.items():
        x = [s * batch / 1000 for s in c["steps"]]
        ax[0].plot(x, c["pck_occ"], "o-", label=name)
        vs = sorted((int(s), m) for s, m in c["val"].items())
        xv = [s * batch / 1000 for s, _ in vs]
        ax[1].plot(xv, [m.get("val/occ_hm_err") for _, m in vs], "o-", label=f"{name} student")
        if any("val/occ_hm_err_teacher" in m for _, m in vs):
            ax[1].plot(xv, [m.get("val/occ_hm_err_teacher") for _, m in vs], "s--", label=f"{name} teacher path")
            for b in range(1, 5):
                key = f"val/feat_mse_b{b}"
                if any(key in m for _, m in vs):
                    ax[2].plot(xv, [m.get(key) for _, m in vs], "o-", label=f"{name} block {b}")
        if vs and "val/occ_hm_err_copy" in vs[0][1]:
            copy = vs[0][1]["val/occ_hm_err_copy"]
    for k, style in (("oracle", "k--"), ("none", "k:")):
        if k in ref:
            ax[0].axhline(ref[k]["pck_occ"], color="k", ls=style[1:], label=f"{k} ({ref[k]['pck_occ']:.1f})")
    if curves:
        ax[1].axhline(copy, color="k", ls=":", label=f"copy the input ({copy:.3f})")
    ax[0].set(xlabel="samples seen (thousands)", ylabel="all-people PCK_occ (test split)", title="reasoning, test split")
    ax[1].set(xlabel="samples seen (thousands)", ylabel="occluded-joint heatmap error (val)",
              title="validation error (lower is better)")
    ax[2].set(xlabel="samples seen (thousands)", ylabel="feature MSE teacher vs student (val)",
              title="DSED feature matching per block", yscale="log")
    for a in ax:
        a.grid(alpha=0.3)
        a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.png, dpi=110)
    if args.json:
        from hupor.fileio import write_json_atomic

        write_json_atomic(args.json, {"batch": batch, "curves": curves, "reference": ref})
    print(f"{len(curves)} curves -> {args.png}")
    if args.table:
        train = {k: v for _, r in results for k, v in r.get("train", {}).items()}
        print(compact_table(rows, train))
    return 0


def compact_table(rows: dict, train: dict) -> str:
    """Markdown: oracle, no reasoning and every trained row (mean ± half-range over run seeds)."""
    import numpy as np

    from hupor.bench.tables import fmt, row_runs

    cols = [("all", "matched", "people found"), ("all", "pck_rel", "all PCK_rel"), ("all", "pck_abs", "all PCK_abs"),
            ("all", "pck_occ", "all PCK_occ"), ("matched", "pck_rel", "matched PCK_rel"),
            ("matched", "pck_occ", "matched PCK_occ"), ("matched", "mpjpe_rel", "matched MPJPE_rel mm")]
    keys = ["oracle", "none"] + sorted({k.split("/")[1] for k in rows if k.startswith("a/") and k.count("/") == 2})
    lines = ["| row | seeds | " + " | ".join(c[2] for c in cols) + " | val occ_hm_err (student / teacher path; copy) |",
             "|---|---|" + "---|" * len(cols) + "---|"]
    for key in keys:
        runs = row_runs(rows, "a", key)
        if not runs:
            continue
        cells = [fmt([r[p][m] for r in runs]) for p, m, _ in cols]
        val = [train[k].get("metrics", {}) for k in train if k.startswith(f"{key}/")]

        def f3(name):
            v = [m[name] for m in val if m.get(name) is not None]
            return "–" if not v else (f"{v[0]:.3f}" if len(v) == 1 else f"{np.mean(v):.3f} ± {np.ptp(v) / 2:.3f}")

        err = "–" if not val else f"{f3('val/occ_hm_err')} / {f3('val/occ_hm_err_teacher')}; {f3('val/occ_hm_err_copy')}"
        lines.append(f"| {key} | {len(runs)} | " + " | ".join(cells) + f" | {err} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
