"""Mutation check: apply source mutations one at a time and see whether the relevant tests fail.

Usage (from the repository root; about 6 minutes on one core)::

    nice -n 15 .venv/bin/python tools/mutations.py                 # every mutation
    nice -n 15 .venv/bin/python tools/mutations.py --only refine-ignored grid-offset
    nice -n 15 .venv/bin/python tools/mutations.py --list

The working tree is never modified: ``src/``, ``tests/``, ``benchmarks/`` and ``pyproject.toml`` are
copied into a temporary folder once; each mutation is applied to the copy, its test files run there
with ``PYTHONPATH=<copy>/src`` (checked to win over the editable install), and the copy's file is
restored in a ``finally`` (the copy is deleted at the end, on Ctrl-C too). A mutation whose text is
not found (the source moved on) is reported ``stale``, never silently passed. First the unmutated
copy runs all the listed test files (``baseline``): a failing baseline stops the check.

Output: one line per mutation, ``killed`` (a test failed), ``survived`` (all passed: a gap in the
tests) or ``stale`` / ``error``; exit status 1 if any survived. Results: docs/testing.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("src", "tests", "benchmarks", "pyproject.toml")


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str          # under src/hupor/
    old: str           # must occur exactly once
    new: str
    tests: tuple[str, ...]
    why: str


CODEC = ("tests/codec",)
M = [
    # --- the rows of issue 37's table -------------------------------------------------------------
    Mutation("refine-ignored", "codec/decode.py", "params.max_peaks,\n                    params.refine)",
             "params.max_peaks,\n                    \"mean\")", ("tests/codec/test_codec_decode.py",),
             "the decoder ignores DecodeParams.refine (always the window mean)"),
    Mutation("default-decode-ignored", "methods/hupor.py",
             "self.decode_params = decode if decode is not None else bundle.decode_params",
             "self.decode_params = decode if decode is not None else DecodeParams()",
             ("tests/product/test_product_default_model.py",),
             "the shipped model decoded without its bundle's decode: section (threshold 0.2, short_limb 0)"),
    Mutation("rel-depth-scale", "codec/decode.py", "z = z_root[:, None] + 10.0 * rel",
             "z = z_root[:, None] + 11.0 * rel", ("tests/codec/test_codec_decode.py",),
             "relative depths 10 % too large (cm -> mm)"),
    Mutation("root-fit-weak-perspective", "lift/lifter.py", "p = rel_mm[..., :2] - a * rel_mm[..., 2:3]",
             "p = rel_mm[..., :2]", ("tests/lift/test_lift_lifter.py",),
             "the lifter's root fit drops the joints' depth offsets (weak perspective)"),
    Mutation("grid-offset", "codec/grid.py", "return np.asarray(u, dtype=np.float64) * stride + 0.5 * (stride - 1)",
             "return np.asarray(u, dtype=np.float64) * stride", ("tests/product/test_product_predictor.py",),
             "output pixel centres without the (stride - 1) / 2 offset"),
    Mutation("coco-neck-one-shoulder", "lift/coco.py",
             "p = np.where(both[:, None], (k[:, c[a], :2] + k[:, c[b], :2]) / 2, np.nan)",
             "p = np.where(both[:, None], k[:, c[a], :2], np.nan)", ("tests/product/test_product_lift_model.py",),
             "COCO -> MPI15: neck and pelvis at one shoulder / hip instead of the midpoint"),
    Mutation("lift-pose-halved", "lift/lifter.py", "rel = out - out[:, root:root + 1]",
             "rel = 0.5 * (out - out[:, root:root + 1])",
             ("tests/methods/test_methods_lift2d.py::test_predictor_runs_the_2d_detector_on_the_full_frame_and_lifts",),
             "the lifted pose shrunk to half size (root depth refit on it)"),
    Mutation("network-outputs-nothing", "methods/hupor.py", "all57, root = all57.numpy(), root.numpy()",
             "all57, root = 0 * all57.numpy(), root.numpy()", ("tests/bench/test_bench_e2e.py",),
             "the networks' maps are zero: a network scoring 0"),
    # --- more on codec/ and lift/ ---------------------------------------------------------------
    Mutation("nms-plateau", "codec/peaks.py", "ok = (v > flat_map[flat - 1]) & (v >= flat_map[flat + 1])",
             "ok = (v >= flat_map[flat - 1]) & (v >= flat_map[flat + 1])", CODEC,
             "NMS keeps both pixels of a horizontal plateau (two peaks for one joint)"),
    Mutation("gaussian-narrow", "codec/encode.py", "inv = -0.5 / sigma**2", "inv = -1.0 / sigma**2",
             ("tests/codec/test_codec_encode.py",), "heatmap Gaussians rendered with sigma / sqrt(2)"),
    Mutation("flip-paf-x-kept", "codec/flip.py", "sign += [-1.0, 1.0, 1.0]", "sign += [1.0, 1.0, 1.0]",
             ("tests/codec/test_codec_flip.py",), "a horizontal flip does not negate PAF x"),
    Mutation("group-far-first", "codec/decode.py", "order = np.argsort(root_z, kind=\"stable\")  # near → far",
             "order = np.argsort(-root_z, kind=\"stable\")  # near → far", CODEC,
             "grouping takes people far -> near (the nearer, unoccluded person should choose first)"),
    Mutation("paf-keep-ratio-ignored", "codec/paf.py",
             "score[todo] = np.where(nk > keep_ratio * nt, mean, score[todo])",
             "score[todo] = np.where(nk > 0, mean, score[todo])", CODEC,
             "a pair is accepted however many PAF samples leave the limb band"),
    Mutation("bone-prior-off", "codec/group.py",
             "prior = np.minimum(slack * expected[:, None] / np.maximum(l_m, 1e-9) - 1.0, 0.0)",
             "prior = np.zeros_like(l_m)", CODEC, "grouping without the bone-length prior"),
    Mutation("root-pelvis-low-tau", "codec/rootdepth.py", "pel_ok = c[:, r[\"pelvis\"]] > th",
             "pel_ok = c[:, r[\"pelvis\"]] > t", CODEC, "the pelvis rule accepts confidence > 0.33 instead of 0.5"),
    Mutation("root-pair-first-only", "codec/rootdepth.py",
             "return (c[:, r[x]] > t) & (c[:, r[y]] > t), 0.5 * (d[:, r[x]] + d[:, r[y]])",
             "return (c[:, r[x]] > t) & (c[:, r[y]] > t), d[:, r[x]]", CODEC,
             "the hip / shoulder / diagonal rules read one joint instead of the pair's mean"),
    Mutation("depth-clip-off", "codec/paf.py",
             "lo, hi = _sorted_percentile(vals, clip[0]), _sorted_percentile(vals, clip[1])",
             "lo, hi = _sorted_percentile(vals, 0.0), _sorted_percentile(vals, 100.0)", CODEC,
             "limb depths averaged without the [10, 90] percentile clip"),
    Mutation("coco-threshold-off", "lift/coco.py", "ok = k[..., 2] >= threshold", "ok = k[..., 2] >= 0.0",
             ("tests/lift/test_lift_coco.py",), "every COCO keypoint used, whatever its score"),
    Mutation("floor-normal-sign", "lift/floor.py", "return np.array([0.0, np.cos(p), np.sin(p)])",
             "return np.array([0.0, np.cos(p), -np.sin(p)])", ("tests/lift/test_lift_floor.py",),
             "the floor's normal pitched the wrong way"),
    Mutation("noise-relz-gain-off", "lift/noise.py", "relz = noise.relz_gain * true_rel + rng.normal",
             "relz = true_rel + rng.normal", ("tests/lift/test_lift_noise.py",),
             "DetectionNoise.simulate ignores the fitted depth gain"),
]


def copy_tree(dst: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".pytest_cache")
    for name in COPIED:
        src = ROOT / name
        (shutil.copytree(src, dst / name, ignore=ignore) if src.is_dir() else shutil.copy2(src, dst / name))


def run_tests(tree: Path, tests, timeout: float) -> tuple[int, float, str]:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests]
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, time.perf_counter() - t0, "timeout"
    lines = r.stdout.strip().splitlines() or [""]
    failed = [ln.split(" - ")[0].replace("FAILED ", "") for ln in lines if ln.startswith(("FAILED", "ERROR"))]
    return r.returncode, time.perf_counter() - t0, "; ".join([lines[-1], *failed])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run these mutations only")
    ap.add_argument("--list", action="store_true", help="list the mutations and exit")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per test run")
    args = ap.parse_args(argv)
    if args.list:
        for m in M:
            print(f"{m.name:26s} {m.file:20s} {m.why}")
        return 0
    chosen = [m for m in M if not args.only or m.name in args.only]
    unknown = set(args.only or ()) - {m.name for m in M}
    if unknown:
        print(f"unknown mutation(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="hupor-mut-"))
    results = []
    try:
        copy_tree(tmp)
        env = dict(os.environ, PYTHONPATH=str(tmp / "src"))
        where = subprocess.run([sys.executable, "-c", "import hupor; print(hupor.__file__)"], cwd=tmp, env=env,
                               capture_output=True, text=True).stdout.strip()
        if not where.startswith(str(tmp)):
            print(f"the copy's hupor is not the one imported ({where}); refusing to run", file=sys.stderr)
            return 2
        tests = sorted({t for m in chosen for t in m.tests})
        rc, sec, tail = run_tests(tmp, tests, args.timeout * 2)
        print(f"{'baseline':26s} {'passed' if rc == 0 else 'FAILED':9s} {sec:6.1f} s  {tail}", flush=True)
        if rc != 0:
            return 2
        for m in chosen:
            path = tmp / "src" / "hupor" / m.file
            text = path.read_text()
            if text.count(m.old) != 1:
                results.append((m, "stale", 0.0, f"text found {text.count(m.old)} times"))
            else:
                try:
                    path.write_text(text.replace(m.old, m.new))
                    rc, sec, tail = run_tests(tmp, m.tests, args.timeout)
                finally:
                    path.write_text(text)
                status = {0: "survived", 1: "killed"}.get(rc, "error")
                results.append((m, status, sec, tail))
            m_, status, sec, tail = results[-1]
            print(f"{m.name:26s} {status:9s} {sec:6.1f} s  {tail}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    counts = {s: sum(r[1] == s for r in results) for s in ("killed", "survived", "stale", "error")}
    print(", ".join(f"{v} {k}" for k, v in counts.items()))
    return 1 if counts["survived"] or counts["error"] or counts["stale"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
