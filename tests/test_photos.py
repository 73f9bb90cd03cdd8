"""Which model ``hupor predict`` runs on photos, and the line that says so (hupor.photos)."""

import sys
from pathlib import Path

import cv2
import numpy as np

from hupor.cli.main import main
from hupor.photos import choose_2d
from hupor.schema import read_poses

REAL = Path(__file__).resolve().parents[2] / "shared" / "real-eval"


def test_auto_picks_blazepose_only_when_installed_and_no_network_flag(monkeypatch):
    import hupor.detect2d.blazepose as bp

    monkeypatch.setattr(bp, "available", lambda: True)
    assert choose_2d("auto", False) == "blazepose" and choose_2d(None, False) == "blazepose"
    assert choose_2d("auto", True) is None and choose_2d("none", False) is None
    assert choose_2d("mediapipe", True) == "blazepose"                 # the old name, explicit: honoured
    monkeypatch.setattr(bp, "available", lambda: False)
    assert choose_2d("auto", False) is None and choose_2d("blazepose", False) == "blazepose"


def test_without_the_real_extra_the_synthetic_model_says_what_it_is_for(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    img = tmp_path / "a.jpg"
    cv2.imwrite(str(img), np.zeros((64, 96, 3), np.uint8))
    assert main(["predict", str(img), "--json-output", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out.splitlines()
    lines = [ln for ln in out if ln.startswith("model:")]
    assert len(lines) == 1 and "synthetic-domain" in lines[0] and 'pip install "hupor[real]"' in lines[0]
    assert read_poses(tmp_path / "o" / "a.jpg.json")["model"]["method"] == "hupor"


def test_a_real_photo_gets_the_real_photo_path_and_one_person(tmp_path, capsys):
    img = REAL / "images" / "h36m_S8_WalkDog_1.55011271_000026.jpg"
    assert main(["predict", str(img), "--json-output", str(tmp_path)]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("model:")]
    assert len(lines) == 1 and "for real photos" in lines[0] and "BlazePose" in lines[0]
    obj = read_poses(tmp_path / f"{img.name}.json")
    assert obj["model"]["method"] == "lift" and len(obj["persons"]) == 1
    # a network flag keeps hupor's own networks
    assert main(["predict", str(img), "--checkpoint", str(Path(__file__).resolve().parents[1] / "src/hupor/assets/"
                 "default.pt"), "--json-output", str(tmp_path / "n")]) == 0
    assert read_poses(tmp_path / "n" / f"{img.name}.json")["model"]["method"] == "hupor"
