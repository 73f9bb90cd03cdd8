"""COCO / CrowdPose OKS AP via faster-coco-eval on two worked examples (one COCO image; three CrowdPose
images of crowd index 0.1 / 0.5 / 0.9), hupor predictions. The expected values are derived in the test by
an independent reference (``_ref_oks``, ``_ref_ap``: the COCO / CrowdPose definitions written out, not
the library's code): OKS = mean over labelled keypoints of exp(−d² / (2·s·(2σ)²)) with s the GT area
(COCO) or 0.53·w·h of the box (CrowdPose, ``use_area=False``), σ the published per-keypoint constants
(COCO: ``pycocotools/cocoeval.py``; CrowdPose: ``crowdposetools/cocoeval.py``, 14 keypoints); AP the
101-point interpolated precision averaged over OKS thresholds 0.50:0.05:0.95, AR the recall reached."""

import json

import numpy as np
import pytest

from hupor.errors import HuporError
from hupor.eval.keypoint_ap import detections_from_predictions, keypoint_ap, oks_matrices
from hupor.eval.predictions import read_predictions


def _coco_5_5():
    kp = [0] * 51
    kp[15:21] = [100, 100, 2, 150, 100, 2]
    gt = {"images": [{"id": 1, "width": 640, "height": 480, "file_name": "000001.jpg"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 10000,
                           "num_keypoints": 2, "keypoints": kp, "bbox": [50, 50, 100, 100]}]}
    dkp = [0] * 51
    dkp[15:21] = [110, 100, 1, 150, 100, 1]
    return gt, [{"image_id": 1, "category_id": 1, "keypoints": dkp, "score": 0.9}]


def test_eval_coco_ap_worked_example_5_5():
    gt, dets = _coco_5_5()
    sig = np.full(17, 0.05)
    sig[5:7] = COCO_SHOULDER_SIGMA                               # only the shoulders are labelled
    ref = _ref_oks(gt["annotations"][0]["keypoints"], dets[0]["keypoints"], gt["annotations"][0]["area"], sig)
    assert float(oks_matrices(gt, dets, "coco")[1][0, 0]) == pytest.approx(ref, abs=1e-6)
    assert round(ref, 5) == 0.90925                              # (exp(-100 / (2·10000·0.158²)) + 1) / 2
    assert _ref_ap([0.9], [ref], 1)[0] == pytest.approx(0.9)     # passes thresholds 0.50..0.90
    s = keypoint_ap(gt, dets, "coco")
    assert [round(s[k], 4) for k in ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")] == \
        [0.9, 1.0, 1.0, -1, 0.9, 0.9, 1.0, 1.0, -1, 0.9]


def _crowd_5_6():
    imgs, anns, dets = [], [], []
    for i, (ci, shift, sc) in enumerate([(0.1, 0, 0.9), (0.5, 8, 0.8), (0.9, 20, 0.7)]):
        imgs.append({"id": i + 1, "width": 640, "height": 480, "file_name": f"{i}.jpg", "crowdIndex": ci})
        k = [v for j in range(14) for v in (100 + 5 * j, 100 + 10 * j, 2)]
        d = [v for j in range(14) for v in (100 + 5 * j + shift, 100 + 10 * j, 1)]
        anns.append({"id": i + 1, "image_id": i + 1, "category_id": 1, "iscrowd": 0, "num_keypoints": 14,
                     "keypoints": k, "bbox": [100, 100, 100, 100]})
        dets.append({"image_id": i + 1, "category_id": 1, "keypoints": d, "score": sc})
    return {"images": imgs, "annotations": anns}, dets


CROWDPOSE_SIGMAS = np.array([.79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89, .79, .79]) / 10
COCO_SHOULDER_SIGMA = 0.079                                   # keypoints 5 and 6 (shoulders) of COCO-17
THRESHOLDS = np.linspace(0.5, 0.95, 10)


def _ref_oks(gt_kp, det_kp, scale, sigmas):
    """OKS of one detection against one GT: keypoints (K, 3) with v > 0 labelled; ``scale`` px²."""
    g, d = np.asarray(gt_kp, float).reshape(-1, 3), np.asarray(det_kp, float).reshape(-1, 3)
    lab = g[:, 2] > 0
    e = ((g[:, :2] - d[:, :2]) ** 2).sum(1) / (2 * scale * (2 * np.asarray(sigmas)) ** 2)
    return float(np.exp(-e[lab]).mean())


def _ref_ap(scores, oks, n_gt):
    """(AP, AP50, AP75, AR, AR50, AR75) of detections that each can only match their own image's single
    GT (``oks``), ``n_gt`` GT people in all: greedy by score, 101-point interpolated precision."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    aps, ars = [], []
    for t in THRESHOLDS:
        tp = (np.asarray(oks)[order] >= t).astype(float)
        rec, prec = np.cumsum(tp) / n_gt, np.cumsum(tp) / np.arange(1, len(tp) + 1)
        prec = np.maximum.accumulate(prec[::-1])[::-1]       # the precision envelope
        idx = np.searchsorted(rec, np.linspace(0, 1, 101), side="left")
        aps.append(np.where(idx < len(prec), prec[np.minimum(idx, len(prec) - 1)], 0).mean())
        ars.append(rec[-1] if len(rec) else 0.0)
    return np.mean(aps), aps[0], aps[5], np.mean(ars), ars[0], ars[5]


def test_reference_ap_is_the_definition():
    """The reference on cases worked by hand: one perfect detection; a detection with OKS 0.7 (passes
    thresholds 0.50..0.70: AP 5/10); the better one scored lower than a false positive."""
    assert _ref_ap([0.9], [1.0], 1) == (1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    assert _ref_ap([0.9], [0.7], 1)[0] == pytest.approx(0.5)
    ap = _ref_ap([0.9, 0.8], [0.1, 1.0], 1)                   # precision 1/2 at recall 1 everywhere
    assert ap[0] == pytest.approx(0.5) and ap[3] == 1.0


def test_eval_crowdpose_ap_worked_example_5_6():
    gt, dets = _crowd_5_6()
    ref_oks = [_ref_oks(a["keypoints"], d["keypoints"], 0.53 * a["bbox"][2] * a["bbox"][3], CROWDPOSE_SIGMAS)
               for a, d in zip(gt["annotations"], dets)]
    oks = oks_matrices(gt, dets, "crowdpose")
    np.testing.assert_allclose([float(oks[i][0, 0]) for i in (1, 2, 3)], ref_oks, atol=1e-6)
    assert [round(v, 4) for v in ref_oks] == [1.0, 0.7879, 0.2456]   # a spread over the thresholds
    scores = [d["score"] for d in dets]
    want = list(_ref_ap(scores, ref_oks, 3))
    ci = np.array([im["crowdIndex"] for im in gt["images"]])
    for sel in (ci < 0.2, (ci >= 0.2) & (ci < 0.8), ci >= 0.8):     # easy / medium / hard
        want.append(_ref_ap(np.array(scores)[sel], np.array(ref_oks)[sel], int(sel.sum()))[0])
    s = keypoint_ap(gt, dets, "crowdpose")
    assert list(s) == ["AP", "AP50", "AP75", "AR", "AR50", "AR75", "AP_easy", "AP_medium", "AP_hard"]
    np.testing.assert_allclose(list(s.values()), want, atol=1e-6)
    # by hand: OKS 1 / 0.79 / 0.25 -> AP 67/101 at thresholds <= 0.75, 34/101 above (0.5327), AR 0.5333
    assert [round(v, 4) for v in s.values()] == [0.5327, 0.6634, 0.6634, 0.5333, 0.6667, 0.6667, 1.0, 0.6, 0.0]
    assert keypoint_ap(gt, dets, "crowdpose") == s            # evaluator state is not reused


def test_eval_ap_from_hupor_predictions(tmp_path):
    gt, _ = _crowd_5_6()
    mpi_from_crowd = [13, 12, -1, 0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]
    for i, a in enumerate(gt["annotations"]):
        k = np.array(a["keypoints"], float).reshape(14, 3)[:, :2]
        j2 = [k[c].tolist() if c >= 0 else ((k[6] + k[7]) / 2).tolist() for c in mpi_from_crowd]
        doc = {"version": 1, "image": {"path": f"/crowd/images/{i}.jpg"},
               "persons": [{"score": 0.9, "joints_2d_px": j2, "joints_3d_mm": None, "joint_scores": [0.8] * 15}]}
        (tmp_path / f"{i}.json").write_text(json.dumps(doc))
    dets, notes = detections_from_predictions(read_predictions(tmp_path), gt, "crowdpose")
    assert len(dets) == 3 and not notes
    assert keypoint_ap(gt, dets, "crowdpose")["AP"] == pytest.approx(1.0)
    coco, _ = _coco_5_5()
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x.json").write_text(json.dumps({"image": {"path": "val2017/000001.jpg"},
                                                       "persons": []}))
    dets, _ = detections_from_predictions(read_predictions(tmp_path / "c"), coco, "coco")
    assert dets == [] and keypoint_ap(coco, dets, "coco")["AP"] == 0.0      # empty: documented zero


def test_eval_ap_malformed():
    gt, dets = _coco_5_5()
    with pytest.raises(HuporError, match="expected 42 numbers for crowdpose"):
        keypoint_ap(gt, dets, "crowdpose")
    with pytest.raises(HuporError, match="needs 'images'"):
        keypoint_ap({"annotations": []}, dets, "coco")
    bad = [dict(dets[0], keypoints=dets[0]["keypoints"][:-3])]
    with pytest.raises(HuporError, match="51 finite numbers"):
        keypoint_ap(gt, bad, "coco")
    cg, _ = _crowd_5_6()
    del cg["images"][0]["crowdIndex"]
    with pytest.raises(HuporError, match="crowdIndex"):
        keypoint_ap(cg, [], "crowdpose")
