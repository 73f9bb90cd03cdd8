"""MuPoTS readers on real-format fixtures: release annot.mat / occlusion.mat (MATLAB cell-of-struct
layout), SMAP M3E_gt.json, SMAP 3d_pairs results, the official preds_*_kpt_mupots.mat, hupor JSON."""

import json

import numpy as np
import pytest
import scipy.io

from poses_doc import image_doc, person

from hupor.camera import Intrinsics, Letterbox
from hupor.errors import HuporError
from hupor.eval.mupots import evaluate_mupots
from hupor.eval.mupots_io import fit_intrinsics, read_annot_mat, read_gt, read_mupots_predictions

K1 = Intrinsics(1497.7, 1497.1, 1024.7, 1051.4)
MPI_FROM_MUPOTS = [1, 0, 14, 5, 6, 7, 11, 12, 13, 2, 3, 4, 8, 9, 10]
BASE = np.array([[0, -750, 0], [0, -500, 0], [-180, -480, 0], [-200, -200, 0], [-210, 50, 0],
                 [180, -480, 0], [200, -200, 0], [210, 50, 0], [-100, 0, 0], [-100, 420, 0],
                 [-100, 820, 0], [100, 0, 0], [100, 420, 0], [100, 820, 0], [0, 0, 0],
                 [0, -250, 0], [0, -650, 0]], float)


def write_release(root, rng, seqs=(1, 6), frames=3, slots=3):
    """TS<n>/annot.mat + occlusion.mat; slot 2 is invalid in every frame. Returns {key: [(2d, 3d)]}."""
    truth = {}
    for n in seqs:
        d = root / f"TS{n}"
        d.mkdir(parents=True)
        ann = np.empty((frames, slots), dtype=object)
        occ = np.empty((frames, slots), dtype=object)
        for f in range(frames):
            people = []
            for p in range(slots):
                valid = p < 2
                j3 = BASE + rng.normal(0, 15, BASE.shape) + [-500 + 900 * p, 0, 4000 + 800 * p]
                j2 = K1.project(j3)
                ann[f, p] = {"annot2": j2.T, "annot3": j3.T, "univ_annot3": (j3 * 0.95).T,
                             "isValidFrame": np.array([[int(valid)]], dtype=np.uint8)}
                o = np.zeros((1, 17), bool)
                o[0, 4 + p] = True
                occ[f, p] = o
                if valid:
                    people.append((j2, j3))
            truth[f"TS{n}/img_{f:06d}.jpg"] = people
        scipy.io.savemat(d / "annot.mat", {"annotations": ann})
        scipy.io.savemat(d / "occlusion.mat", {"occlusion_labels": occ})
    return truth


def test_eval_release_mat_reader_and_intrinsics(tmp_path, rng):
    truth = write_release(tmp_path, rng)
    a = read_annot_mat(tmp_path / "TS1" / "annot.mat")
    assert a["valid"].tolist() == [[True, True, False]] * 3
    np.testing.assert_allclose(a["annot3"][0, 1], truth["TS1/img_000000.jpg"][1][1])
    fx, fy, cx, cy = fit_intrinsics(a["annot2"][a["valid"]], a["annot3"][a["valid"]])
    np.testing.assert_allclose([fx, fy, cx, cy], [1497.7, 1497.1, 1024.7, 1051.4], rtol=1e-6)
    frames, notes = read_gt(tmp_path, "mupots17")
    assert len(frames) == 6 and frames[0].key == "TS1/img_000000.jpg" and frames[3].sequence == "TS6"
    assert frames[3].width == 1920 and frames[0].width == 2048
    assert frames[0].occluded[1].nonzero()[0].tolist() == [5] and frames[0].joints_3d.shape == (2, 17, 3)
    np.testing.assert_allclose(frames[0].joints_3d[1], truth["TS1/img_000000.jpg"][1][1] * 0.95)


def test_eval_official_mat_predictions_and_hupor_json(tmp_path, rng):
    truth = write_release(tmp_path / "gt", rng)
    gts, _ = read_gt(tmp_path / "gt", "mupots17")
    m2, m3 = {}, {}
    for key, people in truth.items():
        name = key.replace("/", "_").replace(".jpg", "")
        if key == "TS6/img_000002.jpg":
            people = people[:1]                          # second person missed in one frame
        m2[name] = np.stack([p[0] for p in people])
        m3[name] = np.stack([p[1] * 1.2 for p in people])    # wrong scale: bone mapping removes it
    (tmp_path / "pred").mkdir()
    scipy.io.savemat(tmp_path / "pred" / "preds_2d_kpt_mupots.mat", m2)
    scipy.io.savemat(tmp_path / "pred" / "preds_3d_kpt_mupots.mat", m3)
    preds = read_mupots_predictions(tmp_path / "pred", gts)
    res = evaluate_mupots(gts, preds, variant="mupots17")
    assert res.modes["matched"].pooled.pck == pytest.approx(100.0)
    assert res.modes["all"].sequences["TS6"].pck == pytest.approx(100 * 5 / 6)
    assert res.modes["all"].sequence_mean.pck == pytest.approx((100 + 100 * 5 / 6) / 2)
    assert res.modes["all"].pooled.pck == pytest.approx(100 * 11 / 12)
    # the same predictions as hupor JSON files (MPI15 order, one file per image, null joints allowed)
    (tmp_path / "hp").mkdir()
    for key, people in truth.items():
        persons = []
        for j2, j3 in people:
            p2 = j2[MPI_FROM_MUPOTS].tolist()
            p3 = (j3[MPI_FROM_MUPOTS]).tolist()
            persons.append({"id": 0, "score": 0.9, "joints_2d_px": p2, "joints_3d_mm": p3,
                            "joint_scores": [1.0] * 15, "joint_state": ["visible"] * 15})
        persons[0]["joints_2d_px"][1] = None            # head_top not detected: not used for matching
        doc = {"version": 1,       # no format tag: read by key (tolerant reader)
               "image": {"path": f"/data/MultiPersonTestSet/{key}", "width": 2048, "height": 2048, "frame": None},
               "intrinsics": {"fx": 1.0, "fy": 1.0, "cx": 0.0, "cy": 0.0, "source": "given"},
               "skeleton": {"name": "mpi15", "joints": ["j"] * 15}, "persons": persons}
        (tmp_path / "hp" / key.replace("/", "_").replace(".jpg", ".json")).write_text(json.dumps(doc))
    gt15, _ = read_gt(tmp_path / "gt", "smap15")
    res15 = evaluate_mupots(gt15, read_mupots_predictions(tmp_path / "hp", gt15))
    assert res15.modes["all"].pooled.pck == pytest.approx(100.0)
    assert res15.modes["all"].pooled.matched == 12


def test_eval_smap_gt_json_and_3d_pairs_with_reprojection(tmp_path, rng):
    truth = write_release(tmp_path, rng, seqs=(1,), frames=2)
    root, pairs = [], []
    lb = Letterbox.fit(2048, 2048, 832, 512)
    for key, people in truth.items():
        bodys = np.zeros((len(people), 15, 11))
        p2 = np.zeros((len(people), 15, 4))
        p3 = np.zeros((len(people), 15, 4))
        for i, (j2, j3) in enumerate(people):
            bodys[i, :, 0:2] = j2[MPI_FROM_MUPOTS]
            bodys[i, :, 3] = 2
            bodys[i, :, 4:7] = j3[MPI_FROM_MUPOTS] / 10.0
            bodys[i, :, 2] = bodys[i, :, 6]
            bodys[i, :, 7:11] = (K1.fy, K1.fy, K1.cx, K1.cy)       # fx == fy so the quirk is harmless
            p2[i, :, :2] = lb.to_net(j2[MPI_FROM_MUPOTS])
            p2[i, :, 3] = 0.8
            p3[i, :, :3] = j3[MPI_FROM_MUPOTS] / 10.0 + [5.0, 0, 0]    # 50 mm off in x, fixed by re-projection
            p3[i, :, 3] = 0.8
        root.append({"img_paths": key, "img_width": 2048, "img_height": 2048, "dataset": "MUPOTS",
                     "isValidation": 1, "bodys": bodys.tolist()})
        pairs.append({"image_path": f"/x/MultiPersonTestSet/{key}", "pred_2d": p2.tolist(),
                      "pred_3d": p3.tolist(), "root_d": [0] * len(people)})
    (tmp_path / "M3E_gt.json").write_text(json.dumps({"root": root}))
    (tmp_path / "result.json").write_text(json.dumps({"model_pattern": "x", "3d_pairs": pairs}))
    gts, notes = read_gt(tmp_path / "M3E_gt.json", "smap15")
    assert "SMAP json" in notes[0] and gts[0].sequence == "TS1"
    preds = read_mupots_predictions(tmp_path / "result.json", gts)
    ab = evaluate_mupots(gts, preds, relative=False)
    # SMAP re-projects x with fy too (quirk P15): the 0.04 % focal mismatch leaves < 0.5 mm
    assert ab.modes["matched"].pooled.mpjpe < 0.5 and ab.modes["matched"].pooled.matched == 4
    raw = read_mupots_predictions(tmp_path / "result.json", gts, reproject=False)
    assert evaluate_mupots(gts, raw, relative=False).modes["matched"].pooled.mpjpe == pytest.approx(50.0)


def test_eval_mupots_reader_errors(tmp_path, rng):
    (tmp_path / "TS1").mkdir()
    ann = np.empty((1, 1), dtype=object)
    ann[0, 0] = {"annot2": np.zeros((2, 16)), "annot3": np.zeros((3, 17)), "univ_annot3": np.zeros((3, 17)),
                 "isValidFrame": np.array([[1]])}
    scipy.io.savemat(tmp_path / "TS1" / "annot.mat", {"annotations": ann})
    with pytest.raises(HuporError, match=r"annotations\{1,1\}.annot2: expected 2x17"):
        read_gt(tmp_path)
    ann[0, 0] = {"annot2": np.zeros((2, 17)), "annot3": np.zeros((3, 17)), "isValidFrame": np.array([[1]])}
    scipy.io.savemat(tmp_path / "TS1" / "annot.mat", {"annotations": ann})
    with pytest.raises(HuporError, match="missing field 'univ_annot3'"):
        read_gt(tmp_path)
    scipy.io.savemat(tmp_path / "TS1" / "annot.mat", {"other": ann})
    with pytest.raises(HuporError, match="missing variable 'annotations'"):
        read_gt(tmp_path)
    (tmp_path / "TS1" / "annot.mat").write_bytes(b"not a mat file")
    with pytest.raises(HuporError, match="not a readable MATLAB"):
        read_gt(tmp_path)
    with pytest.raises(HuporError, match="no TS<n>/annot.mat"):
        read_gt(tmp_path / "TS1")
    truth = write_release(tmp_path / "ok", rng, seqs=(2,), frames=1)
    gts, _ = read_gt(tmp_path / "ok")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"image": {"path": "TS2/img_000000.jpg"},
                               "persons": [{"joints_2d_px": [[1, 2]] * 14, "joints_3d_mm": None}]}))
    with pytest.raises(HuporError, match=r"persons\[0\].joints_2d_px: expected 15 joints, got 14"):
        read_mupots_predictions(bad, gts)
    bad.write_text(json.dumps({"image": {"path": "TS2/img_000000.jpg"}}))
    with pytest.raises(HuporError, match="not a hupor prediction file"):
        read_mupots_predictions(bad, gts)
    bad.write_text(json.dumps({"image": {"path": "TS2/img_000000.jpg"}, "persons": []}))
    res = evaluate_mupots(gts, read_mupots_predictions(bad, gts))       # empty prediction list: zero
    assert res.modes["all"].pooled.pck == 0.0
    bad.write_text(json.dumps({"image": {"path": "TS9/img_000000.jpg"}, "persons": []}))
    with pytest.raises(HuporError, match="no prediction matches a ground-truth image"):
        evaluate_mupots(gts, read_mupots_predictions(bad, gts))
    bad.write_text('{"image": {"path": "TS2/img_000000.jpg"}, "persons": '
                   '[{"joints_2d_px": ' + json.dumps(truth["TS2/img_000000.jpg"][0][0][MPI_FROM_MUPOTS].tolist())
                   + ', "joints_3d_mm": [' + ",".join(["[NaN, NaN, NaN]"] * 15) + "]}]}")
    res = evaluate_mupots(gts, read_mupots_predictions(bad, gts))       # NaN 3D: matched, every joint a miss
    assert res.modes["matched"].pooled.matched == 1 and res.modes["matched"].pooled.pck == 0.0


def test_eval_hupor_video_predictions_keyed_like_mupots_frames(tmp_path, rng):
    from hupor.eval.predictions import read_predictions
    truth = write_release(tmp_path / "gt", rng, seqs=(4,), frames=2)
    frames = []
    for f in range(2):
        j2, j3 = truth[f"TS4/img_{f:06d}.jpg"][0]
        frames.append(image_doc(None, [person(j2[MPI_FROM_MUPOTS].tolist(), j3[MPI_FROM_MUPOTS].tolist())],
                                frame=f))
    doc = {"format": "hupor-poses-video", "version": 1,
           "video": {"path": "/videos/TS4.mp4", "width": 2048, "height": 2048, "fps": 30.0, "num_frames": 2},
           "intrinsics": frames[0]["intrinsics"], "frames": frames}
    (tmp_path / "TS4.json").write_text(json.dumps(doc))
    assert [p.path for p in read_predictions(tmp_path / "TS4.json")] == ["TS4/img_000000.jpg", "TS4/img_000001.jpg"]
    gts, _ = read_gt(tmp_path / "gt")
    res = evaluate_mupots(gts, read_mupots_predictions(tmp_path / "TS4.json", gts))
    assert res.modes["all"].pooled.matched == 2 and res.modes["matched"].pooled.pck == pytest.approx(100.0)
    frames[0]["image"]["frame"] = None
    doc["video"]["path"] = None
    (tmp_path / "TS4.json").write_text(json.dumps(doc))
    with pytest.raises(HuporError, match=r"frames\[0\].image.frame: a video frame needs its frame index"):
        read_predictions(tmp_path / "TS4.json")
