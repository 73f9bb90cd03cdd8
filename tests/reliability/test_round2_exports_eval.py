"""Issue 33, items 4 and 5: motion exports follow frame indices and refuse impossible frame rates;
COCO / CrowdPose ground truth is validated field by field; eval h36m --stride."""

import copy
import json

import numpy as np
import pytest

from hupor.errors import HuporError
from hupor.eval.keypoint_ap import check_gt, keypoint_ap
from hupor.export_motion import check_fps, write_bvh, write_csv
from hupor.schema import VIDEO_FORMAT
from hupor.skeleton import MPI15


def _person(track, t):
    """An upright person (mm) walking along x; joints from MPI15's bone directions."""
    base = np.array([[0, -700, 0], [0, -500, 0], [0, -150, 0]] + [[0, 0, 0]] * 12, float)
    rng = np.random.default_rng(track)
    pts = base + rng.normal(0, 60, base.shape) + [t * 50.0, 0, 3000]
    pts[MPI15.joints.index("pelvis")] = [t * 50.0, 0, 3000]
    return {"id": 0, "track_id": track, "joints_3d_mm": pts.tolist(), "joints_2d_px": [[1.0, 2.0]] * 15,
            "joint_state": ["visible"] * 15, "joint_scores": [1.0] * 15}


def _video(frames, fps=10.0):
    return {"format": VIDEO_FORMAT, "video": {"fps": fps, "num_frames": len(frames)},
            "frames": [{"image": {"frame": f}, "skeleton": {"joints": list(MPI15.joints)},
                        "persons": [_person(2, f)]} for f in frames]}


def _motion(path):
    lines = path.read_text().splitlines()
    k = lines.index("MOTION")
    return lines[k + 1], lines[k + 2], [list(map(float, ln.split())) for ln in lines[k + 3:]]


def test_bvh_follows_frame_indices_not_list_order(tmp_path):
    full = _video(list(range(12)))
    gap = _video([0, 1, 2, 7, 8, 9, 10, 11])            # frames[3:7] deleted
    rev = copy.deepcopy(full)
    rev["frames"].reverse()
    write_bvh(tmp_path / "f.bvh", full, 2)
    write_bvh(tmp_path / "g.bvh", gap, 2)
    write_bvh(tmp_path / "r.bvh", rev, 2)
    n, dt, f = _motion(tmp_path / "f.bvh")
    ng, dtg, g = _motion(tmp_path / "g.bvh")
    assert (n, dt) == ("Frames: 12", "Frame Time: 0.10000000") and (ng, dtg) == (n, dt)
    assert g[7][0] == pytest.approx(f[7][0]) and g[4] == g[2]  # frame 7 at 0.7 s; the gap holds frame 2
    assert (tmp_path / "r.bvh").read_text() == (tmp_path / "f.bvh").read_text()  # a reversed file plays forward
    write_csv(tmp_path / "g.csv", gap)
    times = sorted({float(r.split(",")[1]) for r in (tmp_path / "g.csv").read_text().splitlines()[1:]})
    assert times[3:] == pytest.approx([0.7, 0.8, 0.9, 1.0, 1.1])


@pytest.mark.parametrize("fps", [0.0, 1e308, 1e-9, -5.0, float("nan")])
def test_bvh_refuses_impossible_frame_rates(tmp_path, fps):
    with pytest.raises(HuporError, match="p.json: video.fps: frame rate"):
        write_bvh(tmp_path / "x.bvh", _video([0, 1], fps), 2, name="p.json: ")
    assert not (tmp_path / "x.bvh").exists()
    write_bvh(tmp_path / "x.bvh", _video([0, 1], fps), 2, fps=25.0)  # --fps overrides the file's
    assert "Frame Time: 0.04000000" in (tmp_path / "x.bvh").read_text()


def test_duplicate_frame_index_refused(tmp_path, fails):
    v = _video([0, 1, 1])
    with pytest.raises(HuporError, match=r"frames\[2\].image.frame: frame 1 is also frames\[1\]"):
        write_csv(tmp_path / "x.csv", v)
    assert check_fps(0, "x", allow_zero=True) == 0.0
    with pytest.raises(HuporError, match="--fps: frame rate unknown"):
        check_fps(0, "--fps")


def _gt(area=True):
    kp = []
    for j in range(17):
        kp += [50.0 + 5 * j, 40.0 + 8 * j, 2]
    ann = {"id": 1, "image_id": 7, "category_id": 1, "keypoints": kp, "num_keypoints": 17, "bbox": [40, 30, 100, 160],
           "iscrowd": 0}
    if area:
        ann["area"] = 16000.0
    return {"images": [{"id": 7, "file_name": "a.jpg", "width": 200, "height": 250}], "annotations": [ann]}


@pytest.mark.parametrize("edit, fragment", [
    (lambda g: g["annotations"][0].update(bbox=[1, 2]), "annotations[0].bbox: [1, 2] is not [x, y, width, height]"),
    (lambda g: g["annotations"][0].update(bbox="abc"), "annotations[0].bbox: 'abc'"),
    (lambda g: g["images"][0].pop("id"), "images[0]: missing field 'id'"),
    (lambda g: g["annotations"][0]["bbox"].__setitem__(0, float("nan")), "annotations[0].bbox[0]: nan"),
    (lambda g: g["annotations"][0]["bbox"].__setitem__(2, -3), "annotations[0].bbox[2]: -3 is below 0"),
    (lambda g: g["annotations"][0].update(image_id="7"), "annotations[0].image_id: '7' is not an integer"),
    (lambda g: g["annotations"][0]["keypoints"].__setitem__(5, 7), "annotations[0].keypoints[5]: visibility 7"),
    (lambda g: g["annotations"][0].update(area=float("inf")), "annotations[0].area: inf"),
    (lambda g: g["images"].append({"id": 7, "file_name": "b.jpg"}), "images[1].id: 7 is also images[0]"),
])
def test_coco_gt_fields_named(edit, fragment):
    g = _gt()
    edit(g)
    with pytest.raises(HuporError, match=None) as exc:
        check_gt(g, "coco", "gt.json")
    assert str(exc.value).startswith("gt.json: ") and fragment in str(exc.value)


def test_crowdpose_crowd_index_checked():
    g = {"images": [{"id": 1, "file_name": "a.jpg", "crowdIndex": float("nan")}], "annotations": []}
    with pytest.raises(HuporError, match=r"images\[0\].crowdIndex: nan"):
        check_gt(g, "crowdpose", "cp.json")


def test_missing_area_computed_and_scored():
    g = _gt(area=False)
    done = check_gt(g, "coco", "gt.json")
    assert done["annotations"][0]["area"] == 100 * 160 and "area" not in g["annotations"][0]
    det = [{"image_id": 7, "category_id": 1, "keypoints": g["annotations"][0]["keypoints"], "score": 0.9}]
    assert keypoint_ap(g, det, "coco", "gt.json")["AP"] == pytest.approx(1.0)


def test_synth_crowdpose_file_scores(tmp_path):
    from hupor.camera import Intrinsics
    from hupor.eval.crowdpose_gt import records_to_crowdpose
    from hupor.records import ImageRecord

    xy = np.stack([np.linspace(100, 200, 15), np.linspace(50, 300, 15)], 1)[None]
    rec = ImageRecord("a.jpg", 416, 416, Intrinsics(400.0, 400.0, 208.0, 208.0), xy, np.zeros((1, 15, 3)),
                      np.full((1, 15), 2), has_3d=False)
    gt = records_to_crowdpose([rec])
    assert all("area" not in a for a in gt["annotations"])  # as CrowdPose's own files
    det = [{"image_id": a["image_id"], "category_id": 1, "keypoints": a["keypoints"], "score": 1.0}
           for a in gt["annotations"]]
    assert keypoint_ap(gt, det, "crowdpose", "crowdpose.json")["AP"] == pytest.approx(1.0)


def test_eval_h36m_stride(tmp_path, fails):
    fails(["eval", "h36m", "--pred", tmp_path, "--gt", tmp_path / "r.json", "--stride", "0"], "--stride 0: must be >= 1")


@pytest.mark.parametrize("raw, want", [(25.0, 25.0), (0.0, 0.0), (1e308, 0.0), (float("nan"), 0.0), (-3.0, 0.0),
                                       (1e-9, 0.0), (float("inf"), 0.0)])
def test_absurd_container_fps_never_reaches_the_json(raw, want):
    from hupor.media import plausible_fps

    assert plausible_fps(raw, "clip.avi") == want
