import numpy as np

from hupor.cli.demo import make_scene, scene_metrics
from hupor.predictor import Predictor, default_checkpoint
from hupor.schema import validate_poses


def test_product_default_model_on_sample_scene():
    """The bundled default model loads and finds the people of the bundled sample scene."""
    assert default_checkpoint().is_file()
    predictor = Predictor()
    assert predictor.model_info["name"] == "default"
    img, rec, _ = make_scene(0, 0, sample=True)
    pred = predictor(img, K=rec.intrinsics)
    validate_poses(pred.to_json(predictor.skeleton, predictor.model_info))
    m = scene_metrics(pred, rec)
    assert m["matched"] >= 1
    assert m["mpjpe_rel_mm"] < 400  # mm, root-relative, matched people
