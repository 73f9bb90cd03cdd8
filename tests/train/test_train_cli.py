"""``hupor train`` end to end through the CLI: refiner stage, export, errors as exit code 2."""

import numpy as np

from hupor.cli.main import main
from hupor.nets import load_bundle



def test_cli_stage_export_and_errors(tmp_path, tiny, tiny_records, capsys):
    rng = np.random.default_rng(0)
    f = rng.normal(size=(64, 15, 5)).astype(np.float32)
    np.savez(tmp_path / "p.npz", features=f, target=f[..., :3] * 5)
    code = main(["train", "refiner", "--config", "cpu-tiny", "--out", str(tmp_path / "ref"), *tiny,
                 f"data.pairs=[{tmp_path / 'p.npz'}]", "train.refiner.epochs=2", "train.refiner.batch_size=32"])
    assert code == 0
    assert "refiner: 4 steps" in capsys.readouterr().out
    assert (tmp_path / "ref" / "refiner.pt").is_file() and (tmp_path / "ref" / "config.yaml").is_file()
    code = main(["train", "detector", "--config", "cpu-tiny", "--out", str(tmp_path / "det"), *tiny,
                 f"data.train=[{tiny_records}]", "train.detector.steps=1"])
    assert code == 0
    code = main(["train", "export", "--detector", str(tmp_path / "det" / "checkpoints" / "last.ckpt"),
                 "--refiner", str(tmp_path / "ref" / "refiner.pt"), "--out", str(tmp_path / "m.pt")])
    assert code == 0
    b = load_bundle(tmp_path / "m.pt")
    assert b.refiner is not None and b.detector is not None
    capsys.readouterr()
    assert main(["train", "detector", "--config", "cpu-tiny", "train.detector.lrr=1"]) == 2
    assert "unknown key 'lrr'" in capsys.readouterr().err
    assert main(["train", "export", "--detector", str(tmp_path / "p.npz"), "--out", str(tmp_path / "x.pt")]) == 2
    assert "p.npz" in capsys.readouterr().err


def test_cli_synth_pairs_calibrated_then_mixed_into_refiner_training(tmp_path, tiny, capsys):
    from hupor.lift import DetectionNoise, simulate
    from hupor.skeleton import MPI15

    rng = np.random.default_rng(1)
    n, j = 300, MPI15.num_joints
    xyz = rng.normal(0, 300, (n, j, 3)) + np.array([0.0, 0.0, 5000.0])
    uv = xyz[..., :2] / xyz[..., 2:] * 300.0 + np.array([96.0, 64.0])
    vis = np.where(rng.random((n, j)) < 0.7, 2, 1)
    truth = DetectionNoise(sigma_px=[2.0] * j, outlier_rate=0.0)
    feats, target, _ = simulate(truth, uv, xyz, vis, (300.0, 300.0), (96.0, 64.0), MPI15.root, rng)
    np.savez(tmp_path / "real.npz", features=feats, target=target, gt_net=uv.astype(np.float32),
             visibility=vis.astype(np.int8), gt_root_cm=(xyz[:, MPI15.root] / 10).astype(np.float32))
    np.savez(tmp_path / "old.npz", features=feats, target=target)
    out = tmp_path / "synth.npz"
    assert main(["train", "synth-pairs", "--config", "cpu-tiny", *tiny, "--calibrate", str(tmp_path / "real.npz"),
                 "--scenes", "30", "--out", str(out)]) == 0
    assert "synthetic pairs from 30 scenes" in capsys.readouterr().out
    import json
    fitted = json.loads((tmp_path / "synth.npz.noise.json").read_text())
    assert abs(np.median(fitted["sigma_px"]) - 2.0) < 0.4
    code = main(["train", "refiner", "--config", "cpu-tiny", "--out", str(tmp_path / "ref"), *tiny,
                 f"data.pairs=[{tmp_path / 'real.npz'}]", f"data.mix_pairs=[{out}]", "data.mix_ratio=0.75",
                 "train.refiner.steps=3", "train.refiner.epochs=0", "train.refiner.batch_size=32"])
    assert code == 0 and "refiner: 3 steps" in capsys.readouterr().out
    # pairs written before hupor.lift cannot be calibrated on: one clear line, exit 2
    assert main(["train", "synth-pairs", "--config", "cpu-tiny", "--calibrate", str(tmp_path / "old.npz"),
                 "--out", str(tmp_path / "x.npz")]) == 2
    assert "no 'gt_net' array" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()
    from hupor.train.config import load_experiment
    from hupor.train.data import build_data

    cfg = load_experiment("cpu-tiny", [*tiny, f"data.pairs=[{tmp_path / 'real.npz'}]", f"data.mix_pairs=[{out}]",
                                       "data.mix_ratio=0.75"])
    data = build_data("refiner", cfg)
    n_synth = len(np.load(out)["features"])
    assert data.group_sizes == [n, n_synth] and data.fractions == [0.25, 0.75]
