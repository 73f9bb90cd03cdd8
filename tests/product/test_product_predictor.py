import numpy as np
import pytest
import torch

from hupor.camera import Intrinsics, Letterbox
from hupor.codec import Codec, CodecParams
from hupor.codec.grid import net_to_out
from hupor.config import to_dict
from hupor.errors import HuporError
from hupor.nets import build_models, load_model_config, save_bundle
from hupor.predictor import Predictor
from hupor.schema import MISSING, OCCLUDED_INFERRED, VISIBLE, validate_poses
from hupor.skeleton import MPI15

NET_W, NET_H = 128, 96


def tiny_bundle(path, reasoner=True, refiner=True):
    """A randomly initialised cpu-tiny bundle with a 128x96 input (fast)."""
    torch.manual_seed(0)
    model, inp = load_model_config("cpu-tiny", [f"input.net_w={NET_W}", f"input.net_h={NET_H}"])
    det, dsed, ref = build_models(model)
    save_bundle(path, {"model": to_dict(model), "input": to_dict(inp)}, det,
                dsed if reasoner else None, ref if refiner else None)
    return path


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return tiny_bundle(tmp_path_factory.mktemp("bundle") / "tiny.pt")


def test_product_predictor_inputs(bundle, tmp_path):
    import cv2

    pred = Predictor(bundle)
    assert pred.codec_params.net_w == NET_W and pred.model_info["reasoner"]
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (90, 150, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "img.png"), img)
    r_path = pred(tmp_path / "img.png")
    r_bgr = pred(img)
    r_rgb = pred(np.ascontiguousarray(img[..., ::-1]), color="rgb")
    assert r_path.path.endswith("img.png") and r_bgr.path is None
    for r in (r_bgr, r_rgb):
        np.testing.assert_allclose(r.joints_2d, r_path.joints_2d, equal_nan=True)
        np.testing.assert_array_equal(r.joint_state, r_path.joint_state)
    from PIL import Image

    r_pil = pred(Image.fromarray(img[..., ::-1]))
    np.testing.assert_array_equal(r_pil.joint_state, r_path.joint_state)
    batch = pred([img, img[:60], tmp_path / "img.png"], fx=200.0)
    assert [b.width for b in batch] == [150, 150, 150] and batch[1].height == 60
    assert all(b.intrinsics_source == "fx" and b.intrinsics.fx == 200 for b in batch)
    assert r_path.timings_ms["network"] > 0 and r_path.timings_ms["decode"] > 0
    for r in [r_path, *batch]:
        obj = validate_poses(r.to_json(pred.skeleton, pred.model_info))
        assert len(obj["persons"]) == r.num_persons
        assert r.joint_scores.shape == (r.num_persons, 15)
    with pytest.raises(HuporError, match="color"):
        pred(img, color="hsv")
    with pytest.raises(HuporError, match=r"image\[0\]"):
        pred(np.zeros((5, 5, 7), np.uint8))
    assert pred([]) == []


def test_product_predictor_flip_and_errors(bundle, tmp_path):
    img = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    res = Predictor(bundle, flip_test=True, input_size=(64, 64))(img, fov_degrees=60)
    assert res.intrinsics_source == "fov"
    validate_poses(res.to_json(MPI15, {"name": "t"}))
    with pytest.raises(HuporError, match="no such checkpoint"):
        Predictor(tmp_path / "missing.pt")
    with pytest.raises(HuporError, match="multiples of 32"):
        Predictor(bundle, input_size=(100, 64))
    if not torch.cuda.is_available():            # both branches assert (tests/product/test_product_cuda.py: the GPU)
        with pytest.raises(HuporError, match="CUDA is not available"):
            Predictor(bundle, device="cuda")
    else:
        assert Predictor(bundle, device="cuda", input_size=(64, 64)).method.device.type == "cuda"
    import hupor

    assert hupor.Predictor is Predictor
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(HuporError, match="junk.pt"):
        Predictor(tmp_path / "junk.pt")


def _scene():
    """Three standing people at 3-6 m, 640x400 image, fx = 500."""
    base = np.array([[0, -500, 0], [0, -750, 0], [0, 0, 0], [-180, -480, 0], [-210, -250, 30],
                     [-220, -20, 60], [-100, 0, 0], [-105, 420, 0], [-110, 850, 0], [180, -480, 0],
                     [210, -250, 30], [220, -20, 60], [100, 0, 0], [105, 420, 0], [110, 850, 0]], float)
    people = np.stack([base + [x, 137, z] for x, z in ((-903, 3011), (311, 4203), (1507, 6007))])
    return people, Intrinsics(500, 500, 320, 200)


def test_product_postprocess_recovers_encoded_people(tmp_path):
    """Maps rendered by the codec from known people decode back to them; joints that are occluded in the
    'visible' maps come out occluded_inferred, all others visible."""
    pred = Predictor(tiny_bundle(tmp_path / "norefine.pt", refiner=False), input_size=(320, 224))
    people, K = _scene()
    lb = Letterbox.fit(640, 400, 320, 224)
    uv_net = lb.to_net(K.project(people))
    vis = np.full((3, 15), 2)
    vis[0, [4, 5]] = 1  # person 0: left elbow and wrist hidden
    vis[1, 14] = 1
    codec = Codec(MPI15, CodecParams(net_w=320, net_h=224))
    t = codec.encode(uv_net, people, vis, K.fx * lb.scale, levels=(2,), subsets=("vis", "all"))
    all57, det57 = t.maps["all"][0], t.maps["vis"][0]
    h, w = all57.shape[1:]
    # dense root-depth maps: every pixel takes the value of the nearest person's torso joint
    rows, cols = np.mgrid[0:h, 0:w]  # output pixel centres (hupor.codec.grid)
    uv_out = net_to_out(uv_net, 4)
    rd = np.zeros((7, h, w), np.float32)
    for c, jt in enumerate(MPI15.torso):
        d = (cols[None] - uv_out[:, jt, 0, None, None]) ** 2 + (rows[None] - uv_out[:, jt, 1, None, None]) ** 2
        rd[c] = (people[:, jt, 2] / 10 / (K.fx * lb.scale))[np.argmin(d, axis=0)]
    res = pred.postprocess(all57, rd, det57[:15] / 255.0, lb, K, "K")
    assert res.num_persons == 3
    order = np.argsort(people[:, 2, 2])
    # measured: root 5e-8 relative (the dense maps hold each torso joint's exact value), 3D max / mean
    # 12.0 / 5.5 mm, 2D max / mean 1.05 / 0.62 px (the window mean at level 2, 320x224 input). Bounds
    # ~1.35x that: the old ones (3 %, 150 / 60 mm, 4 px) passed codec.grid's (stride - 1) / 2 offset
    # dropped (1.5 net px = 3 image px here)
    np.testing.assert_allclose(res.root_depth_mm, people[order, 2, 2], rtol=1e-5)
    err3d = np.linalg.norm(res.joints_3d - people[order], axis=-1)
    assert np.nanmax(err3d) < 16 and np.nanmean(err3d) < 7.5
    err2d = np.linalg.norm(res.joints_2d - K.project(people[order]), axis=-1)
    assert np.nanmax(err2d) < 1.5 and np.nanmean(err2d) < 0.85
    expect = np.where(vis[order] == 2, VISIBLE, OCCLUDED_INFERRED)
    np.testing.assert_array_equal(res.joint_state, expect)
    assert not (res.joint_state == MISSING).any()


def test_product_postprocess_refiner_fills_missing_joints(bundle):
    """A joint absent from every map is missing without RefineNet and occluded_inferred with it; decoded
    joints keep their 2D position (3D re-projected at the refined depth)."""
    pred = Predictor(bundle, input_size=(320, 224))
    people, K = _scene()
    lb = Letterbox.fit(640, 400, 320, 224)
    uv_net = lb.to_net(K.project(people))
    vis = np.full((3, 15), 2)
    vis[:, 5] = 0  # every left wrist is unlabelled: not in any map
    t = Codec(MPI15, CodecParams(net_w=320, net_h=224)).encode(uv_net, people, vis, K.fx * lb.scale,
                                                                levels=(2,), subsets=("all",))
    maps = t.maps["all"][0]
    rd = np.broadcast_to((people[:, 2, 2].mean() / 10 / (K.fx * lb.scale)), (7,) + maps.shape[1:])
    res = pred.postprocess(maps, np.ascontiguousarray(rd, dtype=np.float32), maps[:15] / 255.0, lb, K, "K")
    assert res.num_persons == 3
    assert (res.joint_state[:, 5] == OCCLUDED_INFERRED).all()
    assert (np.delete(res.joint_state, 5, axis=1) == VISIBLE).all()
    assert np.isfinite(res.joints_3d).all() and np.isfinite(res.joints_2d).all()
    assert (res.joint_scores[:, 5] == 0).all()
    np.testing.assert_allclose(K.project(res.joints_3d), res.joints_2d, atol=1e-6)
    order = np.argsort(res.joints_2d[:, 2, 0])
    err2d = np.linalg.norm(np.delete(res.joints_2d[order] - K.project(people), 5, axis=1), axis=-1)
    assert err2d.max() < 4.0
    validate_poses(res.to_json(MPI15, {"name": "t"}))


def test_product_to_prediction_min_score_drops_low_scoring_people():
    """``min_score`` leaves out people whose person score is below it and keeps the others in order,
    with their joints, states and track ids; out-of-range values are refused."""
    from hupor.codec import Poses
    from hupor.predictor import to_prediction

    n, j = 4, 15
    rng = np.random.default_rng(0)
    poses = Poses(joints_net=rng.random((n, j, 2)), joints_2d=rng.random((n, j, 2)) * 100,
                  joints_3d=rng.random((n, j, 3)) * 1000 + [0, 0, 3000], scores=np.full((n, j), 0.5, np.float32),
                  detected=np.ones((n, j), bool), root_depth_mm=np.array([3000.0, 3500, 4000, 4500]),
                  person_scores=np.array([0.30, 0.01, 0.049, 0.05]), track_id=np.array([7, 8, 9, 10]))
    lb, K = Letterbox.fit(100, 100, 64, 64), Intrinsics(100, 100, 50, 50)
    every = to_prediction(poses, lb, K, "K")
    kept = to_prediction(poses, lb, K, "K", min_score=0.05)
    assert every.num_persons == 4 and kept.num_persons == 2
    np.testing.assert_array_equal(kept.person_scores, [0.30, 0.05])
    np.testing.assert_array_equal(kept.track_ids, [7, 10])
    np.testing.assert_array_equal(kept.root_depth_mm, [3000, 4500])
    np.testing.assert_allclose(kept.joints_3d, every.joints_3d[[0, 3]])
    assert kept.joint_state.shape == (2, j)


def test_product_predictor_min_score(bundle):
    img = np.random.default_rng(2).integers(0, 256, (96, 128, 3), dtype=np.uint8)
    every = Predictor(bundle)(img, fx=100.0)
    pred = Predictor(bundle, min_score=0.5)
    assert pred.min_score == 0.5
    res = pred(img, fx=100.0)
    assert (res.person_scores >= 0.5).all()
    assert res.num_persons == int((every.person_scores >= 0.5).sum())
    for bad in (-0.1, 1.0):
        with pytest.raises(HuporError, match="min_score"):
            Predictor(bundle, min_score=bad)
