"""The bundle's calibrated person threshold: the table, the choice, the bundle it writes, the defaults."""

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from hupor.bench.threshold import candidate_thresholds, choose_threshold, threshold_table
from hupor.camera import Intrinsics
from hupor.cli.main import main
from hupor.nets import load_bundle
from hupor.predictor import Predictor
from hupor.records import ImageRecord
from hupor.train.export import export_bundle

LEGACY = Path(__file__).parents[1] / "product" / "data" / "legacy_default_v1.pt"


def _scene(rng):
    """One record with two people, and predictions: both people (scores 0.9, 0.6) + two ghosts (0.1, 0.3)."""
    j3 = np.stack([rng.uniform([-300, -800, 4000], [300, 800, 4400], size=(15, 3)) + [dx, 0, 0]
                   for dx in (-1000.0, 1000.0)])
    K = Intrinsics(800.0, 800.0, 416.0, 256.0)
    j2 = j3[..., :2] / j3[..., 2:] * 800.0 + [416.0, 256.0]
    rec = ImageRecord("x.jpg", 832, 512, K, j2, j3, np.full((2, 15), 2))
    ghost2 = j2[:1] + [300.0, 200.0]
    ghost3 = j3[:1] + [1200.0, 900.0, 0.0]
    pred = SimpleNamespace(joints_2d=np.concatenate([j2, ghost2, ghost2 + 40]),
                           joints_3d=np.concatenate([j3, ghost3, ghost3 + 40]),
                           person_scores=np.array([0.9, 0.6, 0.1, 0.3]))
    return rec, pred


def test_table_counts_written_found_and_precision_and_the_choice_keeps_the_people():
    rng = np.random.default_rng(0)
    rec, pred = _scene(rng)
    rows = threshold_table([pred], [rec], 30.0, [0.0, 0.2, 0.5, 0.7])
    got = [(r["written"], r["matched"], round(r["precision"], 2)) for r in rows]
    assert got == [(4, 2, 0.5), (3, 2, 0.67), (2, 2, 1.0), (1, 1, 1.0)]
    assert rows[0]["recall"] == 1.0 and rows[3]["recall"] == 0.5
    best = choose_threshold(rows)
    assert best["threshold"] == 0.5 and best["f1"] == 1.0      # both people, no ghost
    assert choose_threshold(rows[:2])["threshold"] == 0.2
    values = candidate_thresholds([pred], count=5)
    assert values[0] == 0.0 and values == sorted(values) and all(0 <= v < 1 for v in values)


def test_predictor_defaults_to_the_bundle_threshold_and_zero_writes_everyone(tmp_path):
    bundle = load_bundle(LEGACY)
    out = tmp_path / "calibrated.pt"
    export_bundle(out, {}, base_bundle=LEGACY, decode=dataclasses.replace(bundle.decode_params,
                                                                        person_threshold=0.25))
    assert load_bundle(out).decode_params.person_threshold == 0.25
    p = Predictor(str(out), runtime="torch")
    assert p.min_score == 0.25 and p.model_info["min_score"] == 0.25
    assert Predictor(str(out), runtime="torch", min_score=0.0).min_score == 0.0
    assert Predictor(str(LEGACY), runtime="torch").min_score == bundle.decode_params.person_threshold == 0.0


def test_bench_threshold_cli_writes_the_calibrated_bundle(tmp_path, capsys):
    out, js = tmp_path / "cal.pt", tmp_path / "t.json"
    assert main(["bench", "threshold", "--bundle", str(LEGACY), "--scenes", "2", "--size", "416x256",
                 "--values", "0", "0.05", "--out", str(out), "--json", str(js)]) == 0
    text = capsys.readouterr().out
    assert "(chosen)" in text and "wrote" in text
    chosen = json.loads(js.read_text())["chosen"]
    assert chosen in (0.0, 0.05) and load_bundle(out).decode_params.person_threshold == chosen
    assert main(["bench", "threshold", "--bundle", str(LEGACY), "--values", "1.5"]) == 2
