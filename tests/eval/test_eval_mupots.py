"""MuPoTS-3D protocol: the worked examples of data-and-eval.md §5.1–5.4 and the array-level API."""

import numpy as np
import pytest

from hupor.camera import Intrinsics
from hupor.errors import HuporError
from hupor.eval.mupots import (GTFrame, PredFrame, Variant, evaluate_frame, evaluate_mupots,
                               map_to_gt_bone_lengths, masked_pck_mpjpe, match_identities,
                               ordinal_depth_counts, pck_auc)
from hupor.records import ImageRecord, RecordSet


def test_eval_bone_length_mapping_worked_example_5_1():
    chain = Variant("chain3", 3, (-1, 0, 1), (1, 2))
    gt = np.array([[0, 0, 0], [0, 0, 100], [0, 100, 100]], float)
    pred = np.array([[0, 0, 0], [30, 0, 40], [30, 30, 40]], float)
    mapped = map_to_gt_bone_lengths(pred, gt, chain)
    np.testing.assert_allclose(mapped, [[0, 0, 0], [60, 0, 80], [60, 100, 80]])
    err = np.linalg.norm(mapped - gt, axis=1)
    np.testing.assert_allclose(np.round(err, 2), [0, 63.25, 63.25])


def test_eval_bone_mapping_zero_bone_gives_nan_miss():
    chain = Variant("chain3", 3, (-1, 0, 1), (1, 2))
    gt = np.array([[0, 0, 0], [0, 0, 100], [0, 100, 100]], float)
    pred = np.array([[0, 0, 0], [0, 0, 0], [30, 30, 40]], float)
    mapped = map_to_gt_bone_lengths(pred, gt, chain)
    assert np.isnan(mapped[1]).all() and np.isnan(mapped[2]).all()
    assert pck_auc(np.linalg.norm(mapped - gt, axis=1)[None])[0] == pytest.approx(100 / 3)


def test_eval_pck_auc_worked_example_5_2():
    a = np.array([100.0] * 13 + [150.0])          # person A, matched; 150 is a miss (strict <)
    b = np.full(14, 1e5)                           # person B, unmatched (official 100000 mm)
    assert round(pck_auc(np.stack([a, b]))[0], 2) == 46.43     # mode 0, all people
    pck, auc = pck_auc(a[None])
    assert round(pck, 2) == 92.86                                # mode 1, matched people
    assert round(auc, 2) == 29.95


def test_eval_masked_pck_worked_example_5_3():
    e = np.array([50, 60, 70, 80, 120, 90, 100, 110, 130, 140, 200, 150, 151, 10], float)[None]
    occ = np.zeros_like(e)
    occ[0, [4, 10]] = 1                            # 1-based joints 5 and 11
    pck, mpjpe = masked_pck_mpjpe(e, occ)
    assert pck == 0.5 and mpjpe == 160.0
    pck, mpjpe = masked_pck_mpjpe(e, 1 - occ)
    assert round(pck, 4) == 0.9167 and round(mpjpe, 2) == 95.08
    pck, _ = masked_pck_mpjpe(np.array([[np.nan, 10.0]]), np.ones((1, 2)))   # NaN -> 160 -> miss
    assert pck == 0.5


def test_eval_ordinal_depth_worked_example_5_3b():
    assert ordinal_depth_counts([3000, 3200, 5000], [3100, 3050, 4800]) == (3, 3)
    assert ordinal_depth_counts([3000, 3200, 5000], [3100, 2700, 4800]) == (2, 3)


def test_eval_identity_matching_worked_example_5_4(rng):
    gt = rng.uniform(200, 800, size=(1, 17, 2))
    p0 = gt[0] + 39.9
    p0[[2, 5, 9]] = 0.0                             # three matching joints not detected
    p1 = gt[0] + [10.0, 45.0]
    p2 = gt[0] + 5.0
    p2[[3, 7]] += 100.0
    preds = np.stack([p0, p1, p2])
    assert match_identities(gt, preds).tolist() == [2]
    assert match_identities(gt, gt + 40.0).tolist() == [-1]     # strict <
    # greedy in annotation order: the first GT takes the shared best prediction
    two = np.concatenate([gt, gt + 1.0])
    assert match_identities(two, gt + 0.5).tolist() == [0, -1]
    assert match_identities(two, np.concatenate([gt + 0.5, gt + 0.6])).tolist() == [0, 1]


def _person(rng, offset):
    """A plausible 17-joint MuPoTS person (mm) and its projection (px)."""
    base = np.array([[0, -750, 0], [0, -500, 0], [-180, -480, 0], [-200, -200, 0], [-210, 50, 0],
                     [180, -480, 0], [200, -200, 0], [210, 50, 0], [-100, 0, 0], [-100, 420, 0],
                     [-100, 820, 0], [100, 0, 0], [100, 420, 0], [100, 820, 0], [0, 0, 0],
                     [0, -250, 0], [0, -650, 0]], float)
    j3 = base + rng.normal(0, 20, base.shape) + offset
    K = Intrinsics(1500, 1500, 1024, 1024)
    return j3, K.project(j3)


def _frames(rng, n_frames=4):
    gts, preds = [], []
    for f in range(n_frames):
        a3, a2 = _person(rng, [-600, 0, 4000])
        b3, b2 = _person(rng, [700, 0, 5000])
        seq = "TS1" if f < 2 else "TS2"
        occ = np.zeros((2, 17), bool)
        occ[0, 3] = True
        gts.append(GTFrame(f"{seq}/img_{f:06d}.jpg", seq, np.stack([a2, b2]), np.stack([a3, b3]), occ))
        preds.append(PredFrame(a2[None] + 3.0, a3[None] + 10.0))     # B is never detected
    return gts, preds


def test_eval_evaluate_mupots_modes_and_aggregation(rng):
    gts, preds = _frames(rng)
    res = evaluate_mupots(gts, preds, variant="mupots17")
    allm, matched = res.modes["all"], res.modes["matched"]
    assert allm.pooled.pck == pytest.approx(50.0) and matched.pooled.pck == pytest.approx(100.0)
    assert set(allm.sequences) == {"TS1", "TS2"}
    assert allm.sequences["TS1"].instances == 4 and matched.sequences["TS1"].instances == 2
    assert matched.sequence_mean.pck == pytest.approx(100.0)
    assert matched.pooled.pck_occ == pytest.approx(100.0) and matched.pooled.n_occ == 4
    assert allm.pooled.pck_vis == pytest.approx(100.0 * 13 / 27)     # B: 14 visible misses
    assert allm.pooled.mpjpe is None and matched.pooled.mpjpe == pytest.approx(0.0, abs=1e-9)
    assert res.to_dict()["modes"]["matched"]["pooled"]["pck"] == pytest.approx(100.0)


def test_eval_absolute_mode_translation_and_ordinal(rng):
    gts, preds = _frames(rng, 2)
    shifted = [PredFrame(p.joints_2d, p.joints_3d + [0, 0, 200.0]) for p in preds]
    rel = evaluate_mupots(gts, shifted, variant="mupots17", relative=True)
    ab = evaluate_mupots(gts, shifted, variant="mupots17", relative=False)
    assert rel.modes["matched"].pooled.pck == pytest.approx(100.0)
    assert ab.modes["matched"].pooled.pck == 0.0        # every joint 200 mm off in absolute mode
    assert ab.ordinal_depth["all"]["sequence_mean"] == 1.0   # unmatched root Z = 100000 > GT order ok
    assert rel.ordinal_depth is None


def test_eval_smap15_variant_differs_only_through_neck(rng):
    gts, preds = _frames(rng, 1)
    bent = preds[0].joints_3d.copy()
    bent[0, 15] += [80.0, 0, 0]                          # move the predicted spine only
    e17, _, _ = evaluate_frame(gts[0], PredFrame(preds[0].joints_2d, bent), "mupots17")
    gt15 = GTFrame(gts[0].key, "TS1", gts[0].joints_2d[:, :15], gts[0].joints_3d[:, :15], gts[0].occluded[:, :15])
    e15, _, _ = evaluate_frame(gt15, PredFrame(preds[0].joints_2d[:, :15], bent[:, :15]), "smap15")
    assert e15[0].max() < 1e-6 and e17[0, 1] > 1.0       # spine moved the 17-joint neck only


def _records(rng):
    recs = []
    for f in range(3):
        a3, a2 = _person(rng, [0, 0, 4000])
        mpi = [1, 0, 14, 5, 6, 7, 11, 12, 13, 2, 3, 4, 8, 9, 10]    # MPI15 <- MuPoTS
        v = np.full((1, 15), 2)
        v[0, 4] = 1
        recs.append(ImageRecord(f"images/{f:06d}.jpg", 2048, 2048, Intrinsics(1500, 1500, 1024, 1024),
                                a2[None, mpi], a3[None, mpi], v))
    return RecordSet(recs, dataset="synth")


def test_eval_array_api_over_canonical_records(rng):
    rs = _records(rng)
    preds = [(r.joints_2d + 2.0, r.joints_3d * 1.1) for r in rs.records]     # bone lengths are rescaled
    res = evaluate_mupots(rs, preds)
    m = res.modes["matched"]
    assert res.variant == "smap15" and list(m.sequences) == ["images"]
    assert m.pooled.pck == pytest.approx(100.0) and m.pooled.n_occ == 3
    assert m.pooled.mpjpe < 1e-6
    by_path = {r.path: p for r, p in zip(rs.records, preds)}
    assert evaluate_mupots(rs, by_path).modes["all"].pooled.pck == pytest.approx(100.0)
    # a Poses-like object: undetected joints get 2D (0, 0) and are ignored by the matcher
    class P:
        joints_2d, joints_3d = preds[0]
        detected = np.zeros((1, 15), bool)
    res2 = evaluate_mupots(rs, [P, None, None])
    assert res2.modes["all"].pooled.matched == 0 and res2.modes["all"].pooled.pck == 0.0


def test_eval_malformed_inputs_are_clear_errors_or_zero(rng):
    rs = _records(rng)
    with pytest.raises(HuporError, match="3 ground-truth frames"):
        evaluate_mupots(rs, [None])
    with pytest.raises(HuporError, match="joints"):
        evaluate_mupots(rs, [(np.zeros((1, 14, 2)), np.zeros((1, 14, 3)))] * 3)
    with pytest.raises(HuporError, match="no prediction matches"):
        evaluate_mupots(rs, {"TS99/img_000000.jpg": None})
    with pytest.raises(HuporError, match="smap15"):
        evaluate_mupots(rs, [None] * 3, variant="mupots17")
    with pytest.raises(HuporError, match="unknown MuPoTS joint variant"):
        evaluate_mupots(rs, [None] * 3, variant="mpi14")
    empty = evaluate_mupots(rs, [None] * 3)                    # empty prediction lists: documented zero
    assert empty.modes["all"].pooled.pck == 0.0 and empty.modes["matched"].pooled.pck is None
    nan = [(r.joints_2d, np.full_like(r.joints_3d, np.nan)) for r in rs.records]
    assert evaluate_mupots(rs, nan).modes["matched"].pooled.pck == 0.0   # NaN 3D = miss
    with pytest.raises(HuporError, match="not finite"):
        GTFrame("TS1/img_000000.jpg", "TS1", np.full((1, 15, 2), np.nan), np.zeros((1, 15, 3)), np.zeros((1, 15)))
