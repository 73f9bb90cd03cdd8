"""Training and forward speed on this machine.

* detector training (``--config``, default cpu-s2, 256x160, batch 8): images/s, data loading included
  (rendered synthetic images written once to a temporary folder), and the share of the data path;
* reasoner training (same config, batch 4, on-the-fly skeleton scenes): samples/s, data included;
* forward latency (batch 1, ``torch.inference_mode``) of detector + DSED for cpu-tiny at 256x160 and
  for the paper config at 832x512 (one timed forward after one warm-up; slow on CPU).

    .venv/bin/python benchmarks/train_speed.py [--config cpu-s2] [--threads 1] [--paper-threads 2]
        [--steps 6] [--skip-paper]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import default_collate


def _train_rate(stage: str, cfg, steps: int, batch: int) -> tuple[float, float]:
    """(samples/s of whole steps, fraction of the time spent building batches)."""
    from hupor.train.data import build_data
    from hupor.train.modules import MODULES

    data = build_data(stage, cfg)
    ds = data.groups[0]
    module = MODULES[stage](cfg)
    if cfg.train.channels_last:
        module.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(module.parameters(), lr=1e-4)
    loss_fn = module._loss if stage == "detector" else None

    data_s = [0.0]

    def step(i):
        t0 = time.perf_counter()
        batch_ = default_collate([ds[(i * batch + k) % len(ds)] for k in range(batch)])
        data_s[0] += time.perf_counter() - t0
        if loss_fn is not None:
            loss = loss_fn(batch_)["total"]
        else:
            out = module.reasoner(module.layout(batch_["input"]), module.layout(batch_["teacher"]))
            from hupor.nets import dsed_loss

            loss = dsed_loss(out, batch_["all"], batch_["occ"], batch_["valid"], 0.5, cfg.model.reasoner,
                             module.skeleton)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()

    step(0)  # warm-up
    data_s[0] = 0.0
    t = time.perf_counter()
    for i in range(1, steps + 1):
        step(i)
    total = time.perf_counter() - t
    return steps * batch / total, data_s[0] / total


def _forward_latency(cfg, repeats: int = 1) -> float:
    from hupor.nets import DSED, Detector, det_to_maps57
    from hupor.skeleton import get_skeleton

    sk = get_skeleton(cfg.model.skeleton)
    st = cfg.codec.stride
    det, rea = Detector(cfg.model.detector, sk, st).eval(), DSED(cfg.model.reasoner, sk, st).eval()
    x = torch.randn(1, 3, cfg.input.net_h, cfg.input.net_w)
    with torch.inference_mode():
        rea.infer(det_to_maps57(*det.infer(x)[:2]))  # warm-up
        t = time.perf_counter()
        for _ in range(repeats):
            rea.infer(det_to_maps57(*det.infer(x)[:2]))
    return (time.perf_counter() - t) / repeats


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="cpu-s2", help="experiment config (default cpu-s2, the default model's)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads for the training figures")
    ap.add_argument("--paper-threads", type=int, default=2, help="torch threads for the paper forward")
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--channels-last", action="store_true", help="train.channels_last=true")
    ap.add_argument("--skip-paper", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    from hupor.data.synth import SceneConfig, generate
    from hupor.train.config import load_experiment

    with tempfile.TemporaryDirectory() as tmp:
        ann = generate(Path(tmp) / "synth", scenes=32, seed=0,
                       config=SceneConfig(width=256, height=160, max_people=4))
        cfg = load_experiment(args.config, [f"data.train=[{ann}]", f"train.channels_last={args.channels_last}"])
        det_ips, det_data = _train_rate("detector", cfg, args.steps, cfg.train.detector.batch_size)
    rea_sps, rea_data = _train_rate("reasoner", cfg, args.steps, cfg.train.reasoner.batch_size)
    name, cp = args.config, cfg.codec_params
    print(f"torch {torch.__version__}, {args.threads} threads, {name}: {cp.net_w}x{cp.net_h}, stride {cp.stride}, "
          f"channels_last {cfg.train.channels_last}")
    print(f"detector training ({name}, batch {cfg.train.detector.batch_size}): {det_ips:.2f} images/s "
          f"({100 * det_data:.0f} % in the data path)")
    print(f"reasoner training ({name}, batch {cfg.train.reasoner.batch_size}): {rea_sps:.2f} samples/s "
          f"({100 * rea_data:.0f} % in the data path)")
    tiny_lat = _forward_latency(cfg, repeats=5)
    print(f"forward detector+DSED {name} {cp.net_w}x{cp.net_h}: {tiny_lat * 1000:.0f} ms")
    if not args.skip_paper:
        torch.set_num_threads(args.paper_threads)
        paper = load_experiment("paper")
        lat = _forward_latency(paper, repeats=1)
        print(f"forward detector+DSED paper {paper.input.net_w}x{paper.input.net_h} "
              f"({args.paper_threads} threads): {lat:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
