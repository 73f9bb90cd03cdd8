"""The SMPL path of SSF end to end with a tiny stand-in model in SMPL's file layout (hupor ships no
SMPL file): the fit, the mesh labels and ``hupor ssf --body smpl``. smplx is a dev dependency
(``hupor[smpl]``)."""

import numpy as np
import pytest

from hupor.camera import Intrinsics
from hupor.cli.main import main
from hupor.errors import HuporError
from hupor.records import CAUSE_CODE, ImageRecord, RecordSet
from hupor.ssf.smpl import SMPLBody, label_meshes

PARENTS = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21]
T_POSE = np.array([[0, .9, 0], [.09, .82, 0], [-.09, .82, 0], [0, 1.0, 0], [.09, .45, 0], [-.09, .45, 0],
                   [0, 1.12, 0], [.09, .08, 0], [-.09, .08, 0], [0, 1.25, 0], [.09, .02, .1], [-.09, .02, .1],
                   [0, 1.45, 0], [.08, 1.38, 0], [-.08, 1.38, 0], [0, 1.62, 0], [.18, 1.4, 0], [-.18, 1.4, 0],
                   [.45, 1.4, 0], [-.45, 1.4, 0], [.7, 1.4, 0], [-.7, 1.4, 0], [.78, 1.4, 0], [-.78, 1.4, 0]])


def write_stand_in(folder, radius=0.12):
    """SMPL_NEUTRAL.npz: an octahedron of ``radius`` m around each of the 24 joints of a T-pose (y up,
    facing +z), each vertex bound to its joint; J_regressor = the octahedra's centres."""
    octa = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], float) * radius
    tri = np.array([[0, 2, 4], [2, 1, 4], [1, 3, 4], [3, 0, 4], [2, 0, 5], [1, 2, 5], [3, 1, 5], [0, 3, 5]])
    v = (T_POSE[:, None] + octa[None]).reshape(-1, 3)
    f = (tri[None] + 6 * np.arange(24)[:, None, None]).reshape(-1, 3)
    n = len(v)
    weights = np.repeat(np.eye(24), 6, axis=0)
    rng = np.random.default_rng(0)
    np.savez(folder / "SMPL_NEUTRAL.npz", v_template=v, shapedirs=rng.normal(0, 1e-3, (n, 3, 10)),
             posedirs=np.zeros((n, 3, 207)), J_regressor=weights.T / 6.0,
             kintree_table=np.stack([np.array([4294967295] + PARENTS[1:]), np.arange(24)]), weights=weights,
             f=f.astype(np.int64))
    return folder


def _person(x, z):
    """MPI15 joints (15, 3) mm of an upright person facing the camera at (x, z)."""
    smpl = (T_POSE * [1, -1, -1] + [0, 0.9, 0]) * 1000.0 + [x, 0, z]          # turned to the camera, y down
    return smpl[[12, 15, 0, 16, 18, 20, 1, 4, 7, 17, 19, 21, 2, 5, 8]]


def test_fit_follows_the_joints(tmp_path):
    body = SMPLBody(write_stand_in(tmp_path))
    people = np.stack([_person(0.0, 4000.0), _person(900.0, 5000.0)])
    v = body.fit(people)
    assert v.shape == (2, 24 * 6, 3)
    centres = v.reshape(2, 24, 6, 3).mean(2)[:, [12, 15, 0, 16, 18, 20, 1, 4, 7, 17, 19, 21, 2, 5, 8]]
    assert np.linalg.norm(centres - people, axis=-1).mean() < 20.0             # mm


def test_mesh_labels_person_behind_person(tmp_path):
    body = SMPLBody(write_stand_in(tmp_path))
    K = Intrinsics(600.0, 600.0, 320.0, 240.0)
    front, behind, aside = _person(0.0, 3000.0), _person(0.0, 6000.0), _person(2000.0, 6000.0)
    people = np.stack([front, behind, aside])
    vis, cause = label_meshes(list(body.fit(people)), body.faces, people, K, 640, 480, face_part=body.face_part,
                              near=body.near)
    assert vis[1, 2] == 1 and cause[1, 2] == CAUSE_CODE["person"]              # pelvis behind the front pelvis
    assert vis[0, 2] == 2 and (vis[2] == 2).all()
    out = people.copy()
    out[2, 5, 0] = 9000.0                                                      # a wrist outside the image
    vis2, cause2 = label_meshes(list(body.fit(out)), body.faces, out, K, 640, 480, face_part=body.face_part,
                                near=body.near)
    assert vis2[2, 5] == 0 and cause2[2, 5] == CAUSE_CODE["truncated"]


def test_hupor_ssf_with_smpl(tmp_path, capsys):
    smpl_dir = write_stand_in(tmp_path)
    K = Intrinsics(600.0, 600.0, 320.0, 240.0)
    j3 = np.stack([_person(0.0, 3000.0), _person(0.0, 6000.0)])
    j2 = K.project(j3.reshape(-1, 3)).reshape(2, 15, 2)
    RecordSet([ImageRecord("a.png", 640, 480, K, j2, j3, np.full((2, 15), 2))], dataset="t").save(tmp_path / "r.json")
    assert main(["ssf", "--records", str(tmp_path / "r.json"), "--out", str(tmp_path / "o.json"),
                 "--body", "smpl", "--smpl-dir", str(smpl_dir)]) == 0
    out = RecordSet.load(tmp_path / "o.json")
    assert out[0].meta["labels"] == "ssf-smpl" and out[0].visibility[1, 2] == 1
    assert main(["ssf", "--records", str(tmp_path / "r.json"), "--out", str(tmp_path / "x.json"), "--body", "smpl"]) == 2
    assert "go together" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    with pytest.raises(HuporError, match="ships no SMPL files"):
        SMPLBody(tmp_path / "empty")
