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
