"""2D plug-in bundles behind the method seam: 2D-only hupor-poses, tracking, COCO results, eval."""

import json

import cv2
import numpy as np
import pytest
import torch

from hupor.camera import Intrinsics, Letterbox
from hupor.cli.main import main
from hupor.config import to_dict
from hupor.data.synth import SceneConfig, SkeletonScenes, load_motion_library
from hupor.errors import HuporError
from hupor.eval.crowdpose_gt import records_to_crowdpose
from hupor.methods import Tracker
from hupor.methods.plugin2d import poses_2d
from hupor.nets import DSED, save_bundle
from hupor.nets.bundle import build_net
from hupor.predictor import Predictor, to_prediction
from hupor.schema import validate_poses
from hupor.skeleton import CROWDPOSE14, from_mpi15
from hupor.train.config import load_experiment

TINY = {"pifpaf": ["model.pifpaf.backbone.width=4", "model.pifpaf.backbone.stem_width=8",
                   "model.pifpaf.backbone.layers=[1,1,1,1]"],
        "higherhrnet": ["model.higherhrnet.hrnet.width=4", "model.higherhrnet.hrnet.stem_width=8",
                        "model.higherhrnet.deconv_blocks=0"]}


def _bundle(tmp_path, method, reasoner):
    cfg = load_experiment(f"{method}-cpu", TINY[method] + ["input.net_w=128", "input.net_h=96",
                                                          "model.reasoner.widths=[8,8,8,8]",
                                                          "model.reasoner.decoder_width=8"])
    torch.manual_seed(0)
    det = build_net("detector", cfg.model)
    rea = build_net("reasoner", cfg.model) if reasoner else None
    return save_bundle(tmp_path / f"{method}.pt", to_dict(cfg), det, rea, method=method)


def _poses(n=2):
    kp = np.zeros((n, 14, 3))
    for p in range(n):
        kp[p, :, 0] = 20 + 40 * p + np.arange(14)
        kp[p, :, 1] = 30 + np.arange(14)
        kp[p, :, 2] = 0.5
    kp[0, 3, 2] = 0                                                  # one joint not found
    return poses_2d(kp, kp[..., 2].mean(1), Letterbox.fit(256, 192, 128, 96))


def test_2d_poses_write_the_2d_only_form_and_validate():
    poses = _poses()
    assert poses.dims == 2 and np.isnan(poses.joints_3d).all()
    K = Intrinsics(200.0, 200.0, 128.0, 96.0)
    pred = to_prediction(poses, Letterbox.fit(256, 192, 128, 96), K, "default")
    assert pred.num_persons == 2 and pred.dims == 2            # no root depth, yet nobody dropped
    from hupor.plugins.reason import plugin_skeleton

    obj = pred.to_json(plugin_skeleton("crowdpose14"), {"name": "t"})
    assert obj["dims"] == 2 and "joints_3d_mm" not in obj["persons"][0] and "root_depth_mm" not in obj["persons"][0]
    assert obj["persons"][0]["joints_2d_px"][3] is None or obj["persons"][1]["joints_2d_px"][3] is None
    np.testing.assert_allclose(obj["persons"][0]["joints_2d_px"][0], np.array(poses.joints_2d[0, 0]), atol=1e-3)
    validate_poses(obj)
    bad = json.loads(json.dumps(obj))
    bad["persons"][0]["joints_3d_mm"] = [None] * 14
    with pytest.raises(HuporError, match="no 3D fields"):
        validate_poses(bad)
    bad = dict(obj, dims=5)
    with pytest.raises(HuporError, match="dims"):
        validate_poses(bad)


def test_tracking_follows_2d_only_people():
    from hupor.methods import StageContext

    tr = Tracker()
    ctx = lambda f: StageContext({}, Letterbox.fit(256, 192, 128, 96), Intrinsics(200.0, 200.0, 128.0, 96.0), f)
    a = tr(_poses(), ctx(0))
    b = tr(_poses(), ctx(1))
    assert (a.track_id >= 0).all() and a.track_id.tolist() == b.track_id.tolist()


@pytest.mark.parametrize("method, reasoner", [("pifpaf", True), ("higherhrnet", True), ("higherhrnet", False)])
def test_predict_with_a_2d_bundle(tmp_path, method, reasoner):
    path = _bundle(tmp_path, method, reasoner)
    pr = Predictor(path)
    assert pr.skeleton.name == "crowdpose14" and pr.model_info["dims"] == 2
    img = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    pred = pr(img)
    assert pred.dims == 2
    validate_poses(pred.to_json(pr.skeleton, pr.model_info))
    with pytest.raises(HuporError, match="flip"):
        Predictor(path, flip_test=True)


def test_coco_results_and_eval_of_2d_files(tmp_path, capsys):
    """Ground truth written as 2D-only hupor-poses in CrowdPose joints scores AP 1 through both the
    native eval path and the --coco-results writer's format."""
    scenes = list(SkeletonScenes(SceneConfig(width=256, height=160, min_people=1, max_people=3, overlap_fraction=0.0,
                                             occluder_prob=0.0), seed=9701, length=6, motion=load_motion_library()))
    for i, rec in enumerate(scenes):
        rec.path = f"{i:06d}.jpg"
    gt = records_to_crowdpose(scenes)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    pred_dir = tmp_path / "pred"
    pred_dir.mkdir()
    from hupor.plugins.reason import plugin_skeleton
    from hupor.schema import Prediction

    for rec in scenes:
        kp = from_mpi15(np.concatenate([rec.joints_2d, rec.visibility[..., None].astype(float)], -1), CROWDPOSE14)
        lab = np.nan_to_num(kp[..., 2]) > 0
        xy = np.where(lab[..., None], kp[..., :2], np.nan)
        n = len(xy)
        pred = Prediction(rec.path, rec.width, rec.height, rec.intrinsics, "K", xy, np.full((n, 14, 3), np.nan),
                          lab.astype(float), np.where(lab, 0, 2).astype(np.int8), np.full(n, np.nan), np.ones(n),
                          dims=2)
        (pred_dir / f"{rec.path}.json").write_text(json.dumps(pred.to_json(plugin_skeleton("crowdpose14"), {"name": "gt"})))
    rc = main(["eval", "crowdpose", "--pred", str(pred_dir), "--gt", str(tmp_path / "gt.json"),
               "--json", str(tmp_path / "ap.json")])
    assert rc == 0 and json.loads((tmp_path / "ap.json").read_text())["stats"]["AP"] == pytest.approx(1.0)
    from hupor.eval.keypoint_ap import coco_results, keypoint_ap
    from hupor.eval.predictions import read_predictions

    res = coco_results(read_predictions(pred_dir), "crowdpose")
    assert {r["image_id"] for r in res} == {im["id"] - 1 for im in gt["images"]}   # ids from the numeric names
    res = coco_results(read_predictions(pred_dir), "crowdpose", gt)
    assert keypoint_ap(gt, res, "crowdpose")["AP"] == pytest.approx(1.0)


def test_predict_cli_writes_coco_results(tmp_path, capsys):
    path = _bundle(tmp_path, "higherhrnet", True)
    img = tmp_path / "000007.png"
    cv2.imwrite(str(img), np.random.default_rng(1).integers(0, 255, (96, 128, 3), dtype=np.uint8))
    rc = main(["predict", str(img), "--checkpoint", str(path), "--json-output", str(tmp_path / "o"),
               "--coco-results", str(tmp_path / "res.json"), "--no-progress"])
    assert rc == 0
    res = json.loads((tmp_path / "res.json").read_text())
    assert all(r["image_id"] == 7 and len(r["keypoints"]) == 42 for r in res)
    assert json.loads((tmp_path / "o" / "000007.png.json").read_text())["dims"] == 2
    rc = main(["predict", str(img), "--checkpoint", str(path), "--coco-images", str(tmp_path / "res.json")])
    assert rc == 2 and "only with --coco-results" in capsys.readouterr().err


@pytest.mark.parametrize("method", ["higherhrnet", "pifpaf"])
def test_multi_scale_test_averages_the_maps_of_each_scale(tmp_path, method):
    import torch.nn.functional as F

    from hupor.methods.plugin2d import _multi_scale
    from hupor.nets import preprocess

    pr = Predictor(_bundle(tmp_path, method, False))
    net = pr.method.bundle.detector
    x = preprocess(np.random.default_rng(2).integers(0, 255, (1, 96, 128, 3), dtype=np.uint8))
    with torch.inference_mode():
        one, two = net(x), net(F.interpolate(x, size=(192, 256), mode="bilinear", align_corners=False))
        ms = _multi_scale(net, x, one, (1.0, 2.0))
    key = "heatmaps" if method == "higherhrnet" else "pif"
    a, b = getattr(one, key), getattr(two, key)
    if method == "higherhrnet":
        want = 0.5 * (a + F.interpolate(b, size=a.shape[-2:], mode="bilinear", align_corners=False))
        np.testing.assert_allclose(ms.heatmaps.numpy(), want.numpy(), atol=1e-6)
        assert torch.equal(ms.tags, one.tags)
    else:                                     # confidences average; vectors are rescaled to scale 1
        c = F.interpolate(b[:, :, 0], size=a.shape[-2:], mode="bilinear", align_corners=False)
        np.testing.assert_allclose(ms.pif[:, :, 0].numpy(), (0.5 * (a[:, :, 0] + c)).numpy(), atol=1e-6)
    pr.method.scales = (0.5, 1.0, 2.0)
    validate_poses(pr(np.zeros((96, 128, 3), np.uint8)).to_json(pr.skeleton, pr.model_info))


def test_scales_flag_needs_a_2d_model(tmp_path, capsys):
    img = tmp_path / "a.png"
    cv2.imwrite(str(img), np.zeros((96, 128, 3), np.uint8))
    assert main(["predict", str(img), "--scales", "0.5", "1", "--json-output", str(tmp_path / "o")]) == 2
    assert "only for 2D plug-in models" in capsys.readouterr().err


@pytest.mark.parametrize("reasoner", [False, True])
def test_paf_grouping_of_a_higherhrnet_bundle(tmp_path, capsys, reasoner):
    """--grouping paf groups by the PAF branch (the reasoner's limb fields when it has one); the
    flag is refused for other models."""
    path = _bundle(tmp_path, "higherhrnet", reasoner)
    img = tmp_path / "a.png"
    cv2.imwrite(str(img), np.random.default_rng(1).integers(0, 255, (96, 128, 3), dtype=np.uint8))
    pr = Predictor(path)
    pr.method.grouping = "paf"
    raw = pr.method.infer(np.zeros((1, 96, 128, 3), np.uint8))[0]
    assert raw["pafs"].shape[-2:] == (24, 32) and raw["pafs"].shape[0] % 2 == 0
    assert main(["predict", str(img), "--grouping", "paf", "--json-output", str(tmp_path / "o")]) == 2
    assert "only for HigherHRNet" in capsys.readouterr().err
    assert main(["predict", str(img), "--checkpoint", str(path), "--grouping", "paf",
                 "--json-output", str(tmp_path / "o")]) == 0
    out = json.loads(next((tmp_path / "o").glob("*.json")).read_text())
    validate_poses(out)
