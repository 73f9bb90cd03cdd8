import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from hupor.camera import Intrinsics
from hupor.cli.main import main
from hupor.codec import CodecParams
from hupor.errors import HuporError
from hupor.lift.lifter import Lifter, body_size_depth, fit_root_depth
from hupor.schema import OCCLUDED_INFERRED, VISIBLE, read_poses
from hupor.skeleton import MPI15

ROOT = MPI15.root
K = Intrinsics(fx=800.0, fy=800.0, cx=320.0, cy=240.0)


def t_pose(z_mm):
    """A flat (fronto-parallel) person at depth z whose bones all have the skeleton's mean length (mm)."""
    rel = np.zeros((MPI15.num_joints, 3))
    done = {ROOT}
    dirs = {}
    for k, src, dst, sign in MPI15.chain:
        angle = 0.4 * k + 0.3
        dirs[dst] = np.array([np.cos(angle), np.sin(angle), 0.0])
        rel[dst] = rel[src] + 10.0 * MPI15.bone_length_cm[k] * dirs[dst]
        done.add(dst)
    return rel + np.array([100.0, -50.0, z_mm])


def test_body_size_depth_of_a_flat_person_with_mean_bones():
    xyz = t_pose(4000.0)
    uv = K.project(xyz)[None]
    z = body_size_depth(uv, np.ones((1, 15), bool), K.fx, MPI15)
    assert z[0] == pytest.approx(4000.0, rel=0.01)


def test_fit_root_depth_recovers_the_depth_from_the_lifted_skeleton():
    xyz = t_pose(6000.0)
    uv = K.project(xyz)[None]
    rel = (xyz - xyz[ROOT])[None]
    det = np.ones((1, 15), bool)
    assert fit_root_depth(uv, det, rel, K, ROOT, np.array([1000.0]))[0] == pytest.approx(6000.0, rel=0.01)
    # a person turned 60° and leaning 20° (joints spread 0.96 m in depth), off the optical axis: the
    # full-perspective fit is exact (measured 0 relative); a weak-perspective fit (the joints' depth
    # offsets dropped) is 6.4 % off. The flat person above cannot tell the two apart
    ry, rx = np.radians(60.0), np.radians(20.0)
    rot = np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]]) @ \
        np.array([[1, 0, 0], [0, np.cos(rx), -np.sin(rx)], [0, np.sin(rx), np.cos(rx)]])
    turned = (t_pose(0.0) - t_pose(0.0)[ROOT]) @ rot.T + [1500.0, 300.0, 6000.0]
    rel_t = (turned - turned[ROOT])[None]
    assert np.ptp(rel_t[0, :, 2]) > 500
    z = fit_root_depth(K.project(turned)[None], det, rel_t, K, ROOT, np.array([1000.0]))[0]
    assert z == pytest.approx(6000.0, rel=1e-6)
    det[:] = False
    det[0, ROOT] = True
    assert fit_root_depth(uv, det, rel, K, ROOT, np.array([1234.0]))[0] == 1234.0   # nothing to fit


class OracleRefiner(torch.nn.Module):
    """Stands in for a trained lifter: always answers the true root-relative pose (cm)."""

    def __init__(self, rel_cm):
        super().__init__()
        self.rel = torch.nn.Parameter(torch.as_tensor(rel_cm, dtype=torch.float32), requires_grad=False)

    def forward(self, feat):
        return self.rel.expand(feat.shape[0], -1, -1)


def test_lifter_with_a_perfect_refiner_gives_the_true_people():
    xyz = t_pose(5000.0)
    rel_cm = (xyz - xyz[ROOT]) / 10.0
    bundle = SimpleNamespace(refiner=OracleRefiner(rel_cm), skeleton=MPI15,
                             codec_params=lambda: CodecParams(net_w=256, net_h=160))
    uv = K.project(xyz)[None]
    det = np.ones((1, 15), bool)
    det[0, [1, 5]] = False                                   # head top and a wrist to infer
    uv[~det] = np.nan
    poses = Lifter(bundle).lift(uv, det, np.where(det, 0.9, 0.0), 640, 480, K)
    # with the true pose the root fit and the back-projection are exact: measured root 1e-8 relative,
    # joints 5.5e-5 mm (float32 refiner output). Bounds far above float noise and far below any real
    # error (the old 150 mm let a wrong back-projection pass)
    assert poses.root_depth_mm[0] == pytest.approx(5000.0, rel=1e-6)
    np.testing.assert_allclose(poses.joints_3d[0], xyz, atol=0.05)
    assert (poses.state[0, det[0]] == VISIBLE).all() and (poses.state[0, ~det[0]] == OCCLUDED_INFERRED).all()
    np.testing.assert_allclose(poses.joints_2d[0, det[0]], uv[0, det[0]])   # detected 2D kept as given
    # a detection without a pelvis is left out; an anchor pelvis lifts it, as an inferred joint
    det2 = det.copy()
    det2[0, ROOT] = False
    assert len(Lifter(bundle).lift(uv, det2, np.zeros((1, 15)), 640, 480, K).joints_3d) == 0
    anchored = Lifter(bundle).lift(uv, det2, np.zeros((1, 15)), 640, 480, K, anchor=np.array([True]))
    assert anchored.state[0, ROOT] == OCCLUDED_INFERRED and not anchored.detected[0, ROOT]
    np.testing.assert_allclose(anchored.joints_2d[0, ROOT], uv[0, ROOT])
    np.testing.assert_allclose(anchored.joints_3d[0], xyz, atol=0.05)          # measured 5.5e-5 mm


class SeeingRefiner(OracleRefiner):
    """The perfect refiner that also keeps the features it was given."""

    def __init__(self, rel_cm, hint_channel):
        super().__init__(rel_cm)
        self.cfg = SimpleNamespace(hint_channel=hint_channel)
        self.seen = None

    def forward(self, feat):
        self.seen = feat.clone()
        return super().forward(feat)


@pytest.mark.parametrize("reads_hints", [True, False])
def test_hints_feed_a_hint_model_and_come_out_inferred(reads_hints):
    xyz = t_pose(5000.0)
    ref = SeeingRefiner((xyz - xyz[ROOT]) / 10.0, reads_hints)
    bundle = SimpleNamespace(refiner=ref, skeleton=MPI15, codec_params=lambda: CodecParams(net_w=256, net_h=160))
    uv = K.project(xyz)[None]
    det = np.ones((1, 15), bool)
    hint = np.zeros((1, 15), bool)
    det[0, [1, 4, 5]] = False                               # head top absent; an elbow and a wrist only hinted
    hint[0, [4, 5]] = True
    uv_in = uv.copy()
    uv_in[0, 1] = np.nan
    uv_in[0, 4:6] += 7.0                                    # a hint is a rough 2D position
    lifter = Lifter(bundle)
    assert lifter.reads_hints == reads_hints
    poses = lifter.lift(uv_in, det, np.where(det, 0.9, 0.1), 640, 480, K, hint=hint)
    feat = ref.seen[0].numpy()
    assert feat.shape == ((15, 6) if reads_hints else (15, 5))
    if reads_hints:
        assert feat[4:6, 5].tolist() == [1.0, 1.0] and feat[det[0], 5].sum() == 0   # flagged, and only they
        assert np.abs(feat[4:6, :5]).sum() > 0                                        # and given
    else:
        assert np.abs(feat[4:6]).sum() == 0                                           # ignored
    assert (poses.state[0, [1, 4, 5]] == OCCLUDED_INFERRED).all() and not poses.detected[0, 4:6].any()
    np.testing.assert_allclose(poses.joints_2d[0, 4:6], uv[0, 4:6], atol=1.0)   # the lifted joint, not the hint


def test_lifter_needs_a_refiner():
    with pytest.raises(HuporError, match="no refiner"):
        Lifter(SimpleNamespace(refiner=None))


def test_cli_lift_writes_valid_poses_and_refuses_unknown_ids(tmp_path, capsys):
    from hupor.train.export import export_bundle

    rng = np.random.default_rng(0)
    kp = np.zeros((17, 3))
    kp[:, 0] = rng.uniform(280, 360, 17)
    kp[:, 1] = np.linspace(150, 400, 17)
    kp[:, 2] = 0.9
    (tmp_path / "res.json").write_text(json.dumps([{"image_id": 3, "keypoints": kp.ravel().tolist(), "score": 0.9}]))
    (tmp_path / "gt.json").write_text(json.dumps({"images": [{"id": 3, "width": 640, "height": 480,
                                                               "file_name": "a.jpg"}]}))
    model = tmp_path / "lift.pt"
    code = main(["train", "refiner", "--config", "lift-coco", "--out", str(tmp_path / "ref"),
                 "model.refiner.hidden=16", "model.refiner.layers=2", f"data.pairs=[{_pairs(tmp_path)}]",
                 "train.refiner.steps=2", "train.refiner.batch_size=16"])
    assert code == 0
    export_bundle(model, {"refiner": str(tmp_path / "ref" / "refiner.pt")}, method="lift")
    capsys.readouterr()
    out = tmp_path / "out"
    assert main(["lift", str(tmp_path / "res.json"), "--coco-images", str(tmp_path / "gt.json"), "--model", str(model),
                 "--fov", "60", "--json-output", str(out)]) == 0
    assert "1 images, 1 people lifted" in capsys.readouterr().out
    doc = read_poses(out / "a.json")
    person = doc["persons"][0]
    assert doc["intrinsics"]["source"] == "fov" and doc["image"]["width"] == 640
    assert person["joint_state"][MPI15.joints.index("head_top")] == "occluded_inferred"
    assert person["joint_state"][MPI15.joints.index("l_knee")] == "visible"
    assert all(p is not None for p in person["joints_3d_mm"]) and person["root_depth_mm"] > 0
    # a known floor changes the root depth and is written into the model info
    assert main(["lift", str(tmp_path / "res.json"), "--coco-images", str(tmp_path / "gt.json"), "--model", str(model),
                 "--fov", "60", "--camera-height", "1500", "--pitch", "5", "--json-output", str(tmp_path / "f")]) == 0
    floored = read_poses(tmp_path / "f" / "a.json")
    assert floored["model"]["floor"] == {"camera_height_mm": 1500.0, "pitch_deg": 5.0}
    assert floored["persons"][0]["root_depth_mm"] != pytest.approx(person["root_depth_mm"])
    (tmp_path / "gt2.json").write_text(json.dumps({"images": [{"id": 4, "width": 640, "height": 480}]}))
    assert main(["lift", str(tmp_path / "res.json"), "--coco-images", str(tmp_path / "gt2.json"),
                 "--model", str(model), "--json-output", str(tmp_path / "o2")]) == 2
    assert "image_id 3 has no size" in capsys.readouterr().err


def _pairs(tmp_path):
    rng = np.random.default_rng(1)
    f = rng.normal(size=(64, 15, 6)).astype(np.float32)          # lift-coco reads the hint channel
    np.savez(tmp_path / "p.npz", features=f, target=f[..., :3])
    return tmp_path / "p.npz"


def test_a_lift_bundle_is_refused_by_predict_with_a_pointer_to_lift(tmp_path, capsys):
    from hupor.cli.lift import default_lift_model
    from hupor.predictor import ASSETS

    assert main(["predict", str(ASSETS / "demo_scene.jpg"), "--checkpoint", str(default_lift_model()),
                 "--json-output", str(tmp_path / "out")]) == 2
    assert "use it with 'hupor lift" in capsys.readouterr().err and not (tmp_path / "out").exists()
