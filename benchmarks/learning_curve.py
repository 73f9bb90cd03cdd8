"""Learning curve: end-to-end quality of a detector run's checkpoints against training minutes.

Each ``step=N.ckpt`` of ``--run`` (a ``hupor train detector`` folder; ``train.keep_checkpoints`` must
keep them) and its final ``detector.pt`` is combined with the reasoner of ``--reasoner`` (optional)
and scored by the end-to-end benchmark (``hupor.bench.e2e``: rows ``detector only`` and ``+ reasoner``)
on a fixed validation set (``--seed``, ``--scenes``; keep it disjoint from the test seed). Minutes
are wall time since the run started (its ``config.yaml``) to the checkpoint file, which for a
one-thread run on a machine with a free core is its CPU time. Writes a JSON and a PNG.

    python benchmarks/learning_curve.py --run runs/s2/detector --reasoner runs/s2/reasoner/reasoner.pt \\
        --scenes 40 --seed 9200 --json docs/figures/learning_curve.json --png docs/figures/learning_curve.png
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

import torch


def checkpoints(run: Path) -> list[tuple[int, Path]]:
    found = []
    for p in (run / "checkpoints").glob("step=*.ckpt"):
        m = re.fullmatch(r"step=(\d+)\.ckpt", p.name)
        if m:
            found.append((int(m.group(1)), p))
    if (run / "detector.pt").is_file():  # the final weights: the run's configured length
        import yaml

        steps = int(yaml.safe_load((run / "config.yaml").read_text())["train"]["detector"]["steps"])
        found = [f for f in found if f[0] != steps] + [(steps, run / "detector.pt")]
    return sorted(found)


def val_losses(run: Path, key: str = "val/loss") -> dict[int, float]:
    """Validation values ``key`` by step from a run's Lightning CSV logs."""
    out = {}
    for f in sorted(run.glob("logs/version_*/metrics.csv")):
        for row in csv.DictReader(open(f)):
            if row.get(key):
                out[int(row["step"])] = float(row[key])
    return out


def main() -> None:
    from hupor.bench.e2e import E2ESpec, bundle_variant, render_scenes, row_cells, run_row
    from hupor.fileio import write_json_atomic
    from hupor.nets import ModelBundle
    from hupor.config import to_dict
    from hupor.train.config import load_experiment
    from hupor.train.export import load_part

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True, type=Path)
    ap.add_argument("--reasoner", help="reasoner part (STAGE.pt, .ckpt or bundle)")
    ap.add_argument("--scenes", type=int, default=40)
    ap.add_argument("--seed", type=int, default=9200)
    ap.add_argument("--json", required=True)
    ap.add_argument("--png")
    ap.add_argument("--reasoner-runs", nargs="*", type=Path, default=[],
                    help="reasoner run folders whose validation occluded-joint error to plot too")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--decode", default="cpu-s2", help="take the decode: section from this experiment config")
    ap.add_argument("--resume", action="store_true",
                    help="keep the points already in --json (same spec) and score only the new checkpoints")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    spec = E2ESpec(seed=args.seed, scenes=args.scenes)
    scenes = render_scenes(spec)
    reasoner = load_part(args.reasoner, "reasoner")[1] if args.reasoner else None
    decode = to_dict(load_experiment(args.decode).decode)
    t0 = (args.run / "config.yaml").stat().st_mtime
    losses = val_losses(args.run)
    points = []
    if args.resume and Path(args.json).is_file():
        import json

        old = json.loads(Path(args.json).read_text())
        if old.get("spec") == spec.__dict__:
            points = old["points"]
    done = {p["step"] for p in points}
    for step, path in checkpoints(args.run):
        if step in done:
            continue
        config, det = load_part(path, "detector")
        minutes = (path.stat().st_mtime - t0) / 60.0
        vloss = losses.get(step, losses.get(step - 1))  # Lightning logs validation at step N - 1
        point = {"step": step, "minutes": minutes, "checkpoint": str(path), "val_loss": vloss}
        bundle = ModelBundle({**config, "decode": decode}, det.skeleton, det, reasoner)
        rows = {"detector only": None} | ({"+ reasoner": reasoner} if reasoner is not None else {})
        for name, rea in rows.items():
            res = run_row(bundle_variant(bundle, rea, None), scenes, spec.match_px)
            a = res["all"]
            point[name] = {"found": a["matched"], "annotated": a["instances"], "pck_rel": a["pck_rel"],
                           "pck_abs": a["pck_abs"], "pck_occ": a["pck_occ"],
                           "mpjpe_rel": res["matched"]["mpjpe_rel"]}
            print(f"step {step:5d} ({minutes:6.1f} min) {name}: " + ", ".join(row_cells(res)[:4]), flush=True)
        points.append(point)
    points.sort(key=lambda p: p["step"])
    reasoners = {str(r): {"occ_hm_err": val_losses(r, "val/occ_hm_err"),
                          "occ_hm_err_copy": val_losses(r, "val/occ_hm_err_copy")} for r in args.reasoner_runs}
    write_json_atomic(args.json, {"run": str(args.run), "reasoner": args.reasoner, "spec": spec.__dict__,
                                  "points": points, "reasoner_runs": reasoners})
    if args.png:
        plot(points, args.png, f"{args.scenes} val scenes, seed {args.seed}", reasoners)


def plot(points: list[dict], png: str, title: str, reasoners: dict | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hupor.fileio import write_atomic

    fig, axes = plt.subplots(1, 4 if reasoners else 3, figsize=(17 if reasoners else 13, 3.8))
    x = [p["minutes"] for p in points]
    for name, style in (("detector only", "--"), ("+ reasoner", "-")):
        if name not in points[0]:
            continue
        found = [100.0 * p[name]["found"] / max(p[name]["annotated"], 1) for p in points]
        axes[0].plot(x, found, style, marker="o", label=name)
        axes[1].plot(x, [p[name]["pck_rel"] for p in points], style, marker="o", label=f"PCK_rel, {name}")
        axes[1].plot(x, [p[name]["pck_abs"] for p in points], style, marker="s", label=f"PCK_abs, {name}")
        axes[1].plot(x, [p[name]["pck_occ"] or 0 for p in points], style, marker="^", label=f"PCK_occ, {name}")
    vl = [(p["minutes"], p["val_loss"]) for p in points if p["val_loss"] is not None]
    if vl:
        axes[2].plot(*zip(*vl), marker="o")
    axes[0].set(xlabel="detector training, minutes (1 thread)", ylabel="people found, %", title=title)
    axes[1].set(xlabel="detector training, minutes (1 thread)", ylabel="all-people PCK")
    axes[2].set(xlabel="detector training, minutes (1 thread)", ylabel="detector val loss")
    for name, r in (reasoners or {}).items():
        steps = sorted(r["occ_hm_err"])
        axes[3].plot(steps, [r["occ_hm_err"][k] for k in steps], marker="o", label=f"{Path(name).name}")
        axes[3].plot(steps, [r["occ_hm_err_copy"].get(k) for k in steps], ":", label=f"{Path(name).name}: copy input")
    if reasoners:
        axes[3].set(xlabel="reasoner steps (batch 4)", ylabel="val occluded-joint heatmap error")
        axes[3].legend(fontsize=7)
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=7)
    for a in axes:
        a.grid(alpha=0.3)
    fig.tight_layout()
    write_atomic(png, lambda p: fig.savefig(p, dpi=90, format="png"))


if __name__ == "__main__":
    main()
