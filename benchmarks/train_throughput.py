"""Detector training throughput, fp32 / bf16 / bf16 + DDP and the resolution candidates, back to back.

Each setting runs in its own process (DDP relaunches its script) for WARMUP + STEPS steps on the same
records; the table gives images/s (all ranks) and CPU-minutes per 1 000 images (s/step x cores).

    .venv/bin/python benchmarks/train_throughput.py --records R.json [--steps 40] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

# name: (config, overrides, cores)
SETTINGS = {
    "cpu-s2 fp32": ("cpu-s2", [], 1),
    "cpu-s2 fp32 + channels_last": ("cpu-s2", ["train.channels_last=true"], 1),
    "cpu-s2 bf16 + channels_last": ("cpu-s2", ["train.channels_last=true", "train.precision=bf16-mixed"], 1),
    "cpu-s2 bf16 + channels_last + DDP x2": ("cpu-s2", ["train.channels_last=true", "train.precision=bf16-mixed",
                                                        "train.devices=2", "train.strategy=ddp"], 2),
    # cpu-512: 512x320 input, stride 4, the detector on 256x160 crops; precision auto = bf16-mixed only
    # where the CPU has AVX-512 BF16 (train/precision.py), so the rows name the precision explicitly
    "cpu-512 fp32": ("cpu-512", ["train.precision=32-true", "train.channels_last=false"], 1),
    "cpu-512 fp32 + channels_last": ("cpu-512", ["train.precision=32-true"], 1),
    "cpu-512 bf16 + channels_last": ("cpu-512", ["train.precision=bf16-mixed"], 1),
    "512x320 stride 2, crops 256x160, fp32 + channels_last": ("cpu-512", ["train.precision=32-true",
                                                                          "codec.stride=2"], 1),
    "cpu-512 without crops (whole 512x320 input), fp32 + channels_last": (
        "cpu-512", ["train.precision=32-true", "data.augment.crop_w=0", "data.augment.crop_h=0"], 1),
}


def _one(name: str, records: str, steps: int, warmup: int) -> dict:
    import torch

    from hupor.bench.throughput import training_throughput
    from hupor.train.config import load_experiment

    torch.set_num_threads(1)
    config, overrides, _ = SETTINGS[name]
    cfg = load_experiment(config, overrides + [f"data.train=[{records}]", "train.progress_bar=false",
                                               "train.checkpoint_every=100000", "train.threads=1"])
    with tempfile.TemporaryDirectory() as tmp:
        return training_throughput("detector", cfg, f"{tmp}/run", steps=steps, warmup=warmup)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", required=True, help="hupor-records JSON with images (e.g. hupor synth output)")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--only", nargs="*", default=None, help="setting names (default: all)")
    ap.add_argument("--one", help=argparse.SUPPRESS)       # internal: run one setting, print JSON
    ap.add_argument("--json", help="also write the table as JSON")
    a = ap.parse_args()
    if a.one:
        res = _one(a.one, a.records, a.steps, a.warmup)
        print("RESULT " + json.dumps(res), flush=True)
        return
    rows = []
    print(f"| setting | images/s | s/step | CPU-min per 1000 images |\n|---|---|---|---|", flush=True)
    for name in a.only or list(SETTINGS):
        cmd = [sys.executable, __file__, "--records", a.records, "--steps", str(a.steps), "--warmup",
               str(a.warmup), "--one", name]
        out = subprocess.run(cmd, capture_output=True, text=True)
        line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
        if out.returncode or not line:
            print(f"| {name} | failed: {out.stderr.strip().splitlines()[-1:]} | | |", flush=True)
            continue
        r = json.loads(line[-1][7:])
        cores = SETTINGS[name][2]
        cpu_min = 1000.0 / r["images_per_s"] * cores / 60.0
        rows.append({"setting": name, **r, "cores": cores, "cpu_min_per_1000": cpu_min})
        print(f"| {name} | {r['images_per_s']:.2f} | {r['s_per_step']:.3f} | {cpu_min:.2f} |", flush=True)
    if a.json:
        from hupor.fileio import write_json_atomic

        write_json_atomic(a.json, rows)


if __name__ == "__main__":
    main()
