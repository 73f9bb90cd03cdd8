"""Choose decoder settings on a validation seed: end-to-end rows for each value of one ``decode:`` key.

    python benchmarks/tune_decode.py --bundle B --key peak_threshold --values 0.08 0.12 0.16 0.2 \\
        --seed 9200 --scenes 40 [--rows "+ reasoner"] [--set bone_slack=2.0 ...]

Prints one table per value (``hupor.bench.e2e``). Use a seed that the final benchmark does not use
(the e2e default is 9100), then write the chosen value into the experiment's ``decode:`` section and
re-export the bundle with ``hupor train export --decode CONFIG``.
"""

from __future__ import annotations

import argparse

import torch


def main() -> None:
    from hupor.bench.e2e import E2ESpec, e2e_rows, format_table, render_scenes, run_row
    from hupor.nets import load_bundle

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--key", required=True, help="a DecodeParams field, e.g. peak_threshold")
    ap.add_argument("--values", nargs="+", type=float, required=True)
    ap.add_argument("--seed", type=int, default=9200)
    ap.add_argument("--scenes", type=int, default=40)
    ap.add_argument("--rows", nargs="+", default=["+ reasoner"])
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="other decode: keys, fixed")
    args = ap.parse_args()
    fixed = {k: float(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    torch.set_num_threads(1)
    bundle = load_bundle(args.bundle)
    spec = E2ESpec(seed=args.seed, scenes=args.scenes)
    scenes = render_scenes(spec)
    for v in args.values:
        rows = {k: m for k, m in e2e_rows(bundle, oracle=False, **fixed, **{args.key: v}).items() if k in args.rows}
        res = {k: run_row(m, scenes, spec.match_px) for k, m in rows.items()}
        print(f"\n{args.key} = {v} {fixed or ''} ({spec.scenes} scenes, seed {spec.seed})")
        print(format_table(res), flush=True)


if __name__ == "__main__":
    main()
