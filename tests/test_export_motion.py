"""BVH / CSV export: a BVH read back by a small independent reader gives the same joint positions."""

import csv

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from hupor.cli.main import main
from hupor.data.synth import SceneConfig, load_motion_library
from hupor.data.synth.sequence import Sequence
from hupor.errors import HuporError
from hupor.export_motion import BONES, write_bvh
from hupor.schema import write_poses
from hupor.skeleton import MPI15

IDX = MPI15.joints.index


def read_bvh(path):
    """Joint name → (F, 3) world positions in cm, and the frame time, from a BVH file."""
    tokens = open(path).read().split()
    nodes, stack, i = [], [], 0
    while tokens[i] != "MOTION":
        t = tokens[i]
        if t in ("ROOT", "JOINT"):
            nodes.append({"name": tokens[i + 1], "parent": stack[-1] if stack else -1})
            i += 2
        elif t == "End":
            nodes.append({"name": None, "parent": stack[-1]})
            i += 2
        elif t == "{":
            stack.append(len(nodes) - 1)
            i += 1
        elif t == "}":
            stack.pop()
            i += 1
        elif t == "OFFSET":
            nodes[stack[-1]]["offset"] = np.array(tokens[i + 1:i + 4], float)
            i += 4
        elif t == "CHANNELS":
            n = int(tokens[i + 1])
            nodes[stack[-1]]["channels"] = tokens[i + 2:i + 2 + n]
            i += 2 + n
        else:
            i += 1
    frames, dt = int(tokens[i + 2]), float(tokens[i + 5])
    data = np.array(tokens[i + 6:], float).reshape(frames, -1)
    out, col = {}, 0
    glob = [None] * len(nodes)
    cols = []
    for n in nodes:
        cols.append(col)
        col += len(n.get("channels", []))
    for k, n in enumerate(nodes):
        ch = n.get("channels", [])
        v = data[:, cols[k]:cols[k] + len(ch)]
        rot = [c for c in ch if c.endswith("rotation")]
        r = Rotation.from_euler("".join(c[0] for c in rot), v[:, -len(rot):], degrees=True).as_matrix() if rot \
            else np.eye(3)[None].repeat(frames, 0)
        if n["parent"] < 0:
            pos = v[:, :3] + n["offset"]
            g = r
        else:
            pp, pg = glob[n["parent"]]
            pos = pp + (pg @ n["offset"])
            g = pg @ r
        glob[k] = (pos, g)
        if n["name"]:
            out[n["name"]] = pos
    return out, dt


def _video(pos_mm, fps=30.0, track=7, drop=()):
    """A minimal hupor-poses-video object of one tracked person (F, J, 3) mm; ``drop``: absent frames."""
    frames = []
    for f, p in enumerate(pos_mm):
        j3 = [None if not np.isfinite(pt).all() else pt.tolist() for pt in p]
        person = {"id": 0, "score": 1.0, "root_depth_mm": float(p[IDX("pelvis"), 2]), "track_id": track,
                  "joints_2d_px": [None if q is None else [0.0, 0.0] for q in j3], "joint_scores": [1.0] * 15,
                  "joints_3d_mm": j3, "joint_state": ["missing" if q is None else "visible" for q in j3]}
        frames.append({"format": "hupor-poses", "version": 1,
                       "image": {"path": "v.mp4", "width": 64, "height": 64, "frame": f},
                       "intrinsics": {"fx": 64.0, "fy": 64.0, "cx": 32.0, "cy": 32.0, "source": "default"},
                       "skeleton": {"name": "mpi15", "joints": list(MPI15.joints),
                                    "limbs": [list(ab) for ab in MPI15.limbs]},
                       "units": {}, "model": {"name": "test"}, "persons": [] if f in drop else [person]})
    return {"format": "hupor-poses-video", "version": 1,
            "video": {"path": "v.mp4", "width": 64, "height": 64, "fps": fps, "num_frames": len(frames)},
            "intrinsics": frames[0]["intrinsics"], "frames": frames}


def _walking(frames=30):
    """A walking person from the synthetic video with every bone set to one length (directions kept)."""
    seq = Sequence(SceneConfig(width=320, height=192), load_motion_library(), 2, frames, people=1)
    raw = np.array([seq.frame(t).joints_3d[0] for t in range(frames)])
    out = raw.copy()
    for c, p, _ in BONES:  # parents come before children in BONES
        d = raw[:, IDX(c)] - raw[:, IDX(p)]
        length = np.median(np.linalg.norm(d, axis=-1))
        out[:, IDX(c)] = out[:, IDX(p)] + d / np.linalg.norm(d, axis=-1, keepdims=True) * length
    return raw, out


def test_bvh_round_trip_within_a_millimetre(tmp_path):
    raw, pos = _walking()
    path = write_bvh(tmp_path / "p.bvh", _video(pos, fps=25.0), track=7)
    got, dt = read_bvh(path)
    assert dt == pytest.approx(1 / 25.0)
    for name in MPI15.joints:
        back = got[name] * [10.0, -10.0, -10.0]  # BVH cm, y up → camera mm
        assert np.abs(back - pos[:, IDX(name)]).max() < 1.0, name
    # raw synthetic joints (bone lengths vary a little): positions follow with the median lengths
    got, _ = read_bvh(write_bvh(tmp_path / "raw.bvh", _video(raw), 7))
    err = max(np.linalg.norm(got[n] * [10, -10, -10] - raw[:, IDX(n)], axis=-1).max() for n in MPI15.joints)
    assert err < 60.0


def test_bvh_gaps_hold_and_errors(tmp_path):
    _, pos = _walking(12)
    pos = pos.copy()
    pos[5, IDX("l_wrist")] = np.nan
    got, _ = read_bvh(write_bvh(tmp_path / "g.bvh", _video(pos, drop=(0, 8)), 7))
    assert len(got["pelvis"]) == 11  # from the first to the last appearance (frame 0 absent)
    np.testing.assert_allclose(got["pelvis"][7], got["pelvis"][6])  # frame 8 absent: holds frame 7
    elbow_dir = lambda t: got["l_wrist"][t] - got["l_elbow"][t]  # noqa: E731
    assert np.isfinite(got["l_wrist"]).all() and np.linalg.norm(elbow_dir(4)) > 0
    with pytest.raises(HuporError, match="track 3: not in this file"):
        write_bvh(tmp_path / "x.bvh", _video(pos), 3)
    with pytest.raises(HuporError, match="video"):
        write_bvh(tmp_path / "x.bvh", _video(pos)["frames"][0], 7)


def test_export_cli_bvh_and_csv(tmp_path, capsys):
    _, pos = _walking(6)
    pred = write_poses(tmp_path / "pred.json", _video(pos))
    assert main(["export", "bvh", str(pred), "--track", "7", "--out", str(tmp_path / "o.bvh")]) == 0
    assert (tmp_path / "o.bvh").read_text().startswith("HIERARCHY\nROOT pelvis")
    assert main(["export", "csv", str(pred), "--out", str(tmp_path / "o.csv")]) == 0
    rows = list(csv.DictReader(open(tmp_path / "o.csv")))
    assert len(rows) == 6 * 15 and rows[0]["track_id"] == "7" and rows[16]["frame"] == "1"
    assert float(rows[2]["Z_mm"]) == pytest.approx(pos[0, 2, 2], abs=1e-3)
    assert float(rows[15]["time_s"]) == pytest.approx(1 / 30.0, abs=1e-6)
    assert main(["export", "bvh", str(pred), "--track", "9", "--out", str(tmp_path / "n.bvh")]) == 2
    assert "track 9" in capsys.readouterr().err
