"""Tracker stage: crossing people keep their ids, gaps, new people, and the Predictor / JSON path."""

import numpy as np
import pytest

from hupor.camera import Intrinsics, Letterbox
from hupor.codec import CodecParams, Poses
from hupor.errors import HuporError
from hupor.methods import OracleMethod, StageContext
from hupor.methods.track import Tracker, person_size
from hupor.predictor import Predictor
from hupor.schema import validate_poses, video_json
from hupor.skeleton import MPI15

J = 15
CTX = dict(raw={}, letterbox=Letterbox.fit(640, 480, 640, 480), intrinsics=Intrinsics(600, 600, 320, 240))


def _poses(joints_2d, depth):
    """Poses of people given (N, J, 2) px and (N,) mm (3D is not read by the tracker)."""
    j2 = np.asarray(joints_2d, dtype=np.float64).reshape(-1, J, 2)
    n = j2.shape[0]
    det = np.isfinite(j2).all(-1)
    return Poses(j2.copy(), j2, np.zeros((n, J, 3)), det.astype(np.float32), det, np.asarray(depth, float),
                 np.ones(n))


def _person(cx, cy=240.0, h=120.0):
    offs = np.random.default_rng(1).uniform(-0.5, 0.5, size=(J, 2)) * [0.4 * h, h]
    return np.array([cx, cy]) + offs


def test_crossing_people_keep_ids_through_an_occlusion():
    tr = Tracker(max_age=10)
    near_ids, far_ids = set(), set()
    for f in range(40):
        a = _person(100 + 12 * f, h=160)  # near (3 m), walking right
        b = _person(560 - 12 * f, h=80)  # far (6 m), walking left, behind a
        people, depth = [a], [3000.0]
        if not 16 <= f <= 21:  # b is hidden behind a for 6 frames around the crossing (f = 19)
            people.append(b)
            depth.append(6000.0)
        out = tr(_poses(people, depth), StageContext(**CTX, frame=f, fps=30.0))
        near_ids.add(int(out.track_id[0]))
        if len(people) == 2:
            far_ids.add(int(out.track_id[1]))
    assert len(near_ids) == 1 and len(far_ids) == 1 and near_ids != far_ids


def test_depth_separates_people_at_the_same_image_place():
    tr = Tracker()
    for f in range(3):  # both stand still at the same spot, 3 m apart in depth; order given swaps
        people = [_person(300), _person(300)]
        depth = [3000.0, 6000.0] if f % 2 == 0 else [6000.0, 3000.0]
        out = tr(_poses(people, depth), StageContext(**CTX, frame=f))
        ids = dict(zip(depth, out.track_id.tolist()))
        assert ids == {3000.0: 0, 6000.0: 1}


def test_new_people_long_gaps_and_unusable_people():
    tr = Tracker(max_age=3)
    ctx = lambda f: StageContext(**CTX, frame=f)  # noqa: E731
    assert tr(_poses([_person(100)], [3000.0]), ctx(0)).track_id.tolist() == [0]
    out = tr(_poses([_person(100), _person(500)], [3000.0, 4000.0]), ctx(1))
    assert out.track_id.tolist() == [0, 1]  # a new person: a new id
    assert tr(_poses([_person(100)], [3000.0]), ctx(4)).track_id.tolist() == [0]  # gap of 3: kept
    assert tr(_poses([_person(100)], [3000.0]), ctx(9)).track_id.tolist() == [2]  # gap of 5 > max_age
    bad = np.full((J, 2), np.nan)
    bad[0] = [10, 10]  # one joint only
    out = tr(_poses([bad, _person(100)], [3000.0, -5.0]), ctx(10))
    assert out.track_id.tolist() == [-1, -1]  # too few joints; root behind the camera
    assert tr(_poses([_person(100)], [3000.0]), ctx(2)).track_id.tolist() == [0]  # frame went back: reset
    assert tr(Poses.empty(J), ctx(3)).track_id.shape == (0,)
    with pytest.raises(HuporError):
        Tracker(velocity_smoothing=0)


def test_person_size_is_the_box_diagonal():
    j = np.full((1, J, 2), np.nan)
    j[0, :2] = [[0, 0], [30, 40]]
    assert person_size(j).tolist() == [50.0]
    assert person_size(np.full((1, J, 2), np.nan)).tolist() == [20.0]


def test_tracker_on_the_synthetic_video_has_no_id_switch():
    from hupor.data.synth import SceneConfig, load_motion_library
    from hupor.data.synth.sequence import Sequence

    seq = Sequence(SceneConfig(width=320, height=192), load_motion_library(), seed=3, frames=60, people=4)
    tr = Tracker()
    mapping: dict[int, set] = {}
    for f in range(60):
        rec = seq.record(f)
        j2 = np.where((rec.visibility == 2)[..., None], rec.joints_2d, np.nan)  # visible joints only
        keep = (rec.visibility == 2).sum(1) >= 3
        out = tr(_poses(j2[keep], rec.joints_3d[keep, 2, 2]), StageContext(**CTX, frame=f, fps=30.0))
        for gt, tid in zip(np.asarray(rec.meta["person_ids"])[keep], out.track_id):
            mapping.setdefault(int(gt), set()).add(int(tid))
    assert len(mapping) >= 3 and all(len(v) == 1 for v in mapping.values()), mapping
    assert len(set().union(*mapping.values())) == len(mapping)


def test_predictor_stages_give_track_ids_in_the_video_json():
    from hupor.data.synth import SceneConfig, load_motion_library
    from hupor.data.synth.sequence import Sequence

    seq = Sequence(SceneConfig(width=256, height=160), load_motion_library(), seed=1, frames=40, people=3)
    recs = [seq.record(f) for f in range(4)]  # the first frames: people apart (they cross near frame 20)
    oracle = OracleMethod(CodecParams(net_w=256, net_h=160, stride=2), root="perfect")
    pred = Predictor(method=oracle, stages=[Tracker()])
    images = [np.zeros((160, 256, 3), np.uint8)] * 4
    preds = pred.predict_arrays(images, frames=list(range(4)), K=recs[0].intrinsics.K, records=recs,
                                fps=30.0)
    ids = [p.track_ids.tolist() for p in preds]
    assert all(sorted(i) == sorted(ids[0]) for i in ids) and len(ids[0]) >= 2
    frames = [p.to_json(pred.skeleton, pred.model_info) for p in preds]
    obj = validate_poses(video_json("v.mp4", 256, 160, 30.0, frames, frames[0]["intrinsics"]))
    assert [q["track_id"] for q in obj["frames"][0]["persons"]] == ids[0]
    frames[0]["persons"][0]["track_id"] = -3
    with pytest.raises(HuporError, match="track_id"):
        validate_poses(frames[0])
    assert "track_id" not in Predictor(method=oracle).predict_arrays(images[:1], records=recs[:1])[0].to_json(
        MPI15, {"name": "x"})["persons"][0]
