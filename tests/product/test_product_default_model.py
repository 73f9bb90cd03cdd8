"""The bundled default model (src/hupor/assets/default.pt) against its measured figures.

Figures: tests/product/model_figures.json (one place, with the model's sha256). Re-measure after
replacing the model or changing the scene generator / renderer, and commit the JSON with the change:
``nice -n 15 .venv/bin/python tests/product/model_figures.py --write`` (tests/product/model_figures.py
says what each figure is). The check is two-sided: a figure far better than recorded also fails, so a
stale JSON is noticed.
"""

import json

import pytest
from model_figures import FIGURES, PRECISION, measure_default, sha256

from hupor.cli.demo import make_scene, scene_metrics
from hupor.predictor import Predictor, default_checkpoint
from hupor.schema import validate_poses

RE_MEASURE = "re-measure: nice -n 15 .venv/bin/python tests/product/model_figures.py --write"

# Margins on 12 scenes / 41 people. The run is deterministic on one machine; the margins absorb
# float-level differences between CPUs (a peak near the 0.02 threshold flipping) and nothing more:
# 3 people of 41 (7 points of `found`), 0.05 precision (~ 40 % more people written), 3 points of
# all-people PCK_rel (15 % of the figure), 10 % of MPJPE, 3 points of median root error.
MARGINS = {"matched": 3, "precision": 0.05, "pck_rel": 3.0, "mpjpe_rel_mm": 0.10, "root_err_pct": 3.0}


@pytest.fixture(scope="module")
def expected():
    return json.loads(FIGURES.read_text())


def within(name, got, want, margin, relative=False):
    tol = margin * want if relative else margin
    assert abs(got - want) <= tol, f"{name}: measured {got}, recorded {want} ± {tol:g}; {RE_MEASURE}"


def test_product_default_model_figures_on_fixed_scenes(expected):
    want = expected["default"]
    assert sha256(default_checkpoint()) == want["model_sha256"], f"default.pt changed; {RE_MEASURE}"
    got = measure_default()
    assert (got["annotated"], got["scenes"]) == (want["annotated"], want["scenes"]), RE_MEASURE
    within("matched", got["matched"], want["matched"], MARGINS["matched"])
    within("precision", got["precision"], want["precision"], MARGINS["precision"])
    within("pck_rel", got["pck_rel"], want["pck_rel"], MARGINS["pck_rel"])
    within("mpjpe_rel_mm", got["mpjpe_rel_mm"], want["mpjpe_rel_mm"], MARGINS["mpjpe_rel_mm"], relative=True)
    within("root_err_pct", got["root_err_pct"], want["root_err_pct"], MARGINS["root_err_pct"])


def test_product_default_model_on_sample_scene(expected):
    """The bundled sample scene (fixed pixels): every person matched, the 3D as measured.

    Margins: the recorded number of people must match, and at least all but one (the old bound, >= 1,
    passed a model finding a quarter of them; the bundled model at its calibrated person threshold,
    decode.person_threshold 0.0322, matches 3 of the 4: the fourth scores below it);
    the root-relative MPJPE within 10 % and the mean root error within 15 % of the recorded figures
    (4 people: one person's root moving by 600 mm crosses it)."""
    want = expected["default_sample_scene"]
    assert default_checkpoint().is_file()
    predictor = Predictor(precision=PRECISION)
    assert predictor.model_info["name"] == "default"
    img, rec, _ = make_scene(0, 0, sample=True)
    pred = predictor(img, K=rec.intrinsics)
    validate_poses(pred.to_json(predictor.skeleton, predictor.model_info))
    m = scene_metrics(pred, rec)
    assert m["gt_people"] == want["gt_people"] and m["matched"] == want["matched"] >= m["gt_people"] - 1
    within("sample found", m["found"], want["found"], 3)
    within("sample mpjpe_rel_mm", m["mpjpe_rel_mm"], want["mpjpe_rel_mm"], 0.10, relative=True)
    within("sample root_err_mm", m["root_err_mm"], want["root_err_mm"], 0.15, relative=True)
