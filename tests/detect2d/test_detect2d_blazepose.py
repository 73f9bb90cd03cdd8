"""BlazePose without mediapipe: the geometry of hupor.detect2d.blaze_ops, the multi-person logic of
BlazePose with stand-in models, and the real tflite models on a real labelled photo."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from hupor.bench.real import LIMB12, oks
from hupor.detect2d import BlazeConfig, BlazePose, TileConfig
from hupor.detect2d import blaze_ops as ops
from hupor.detect2d.blazepose import BLAZEPOSE_TO_COCO
from hupor.errors import HuporError
from hupor.skeleton import COCO17

REAL = Path(__file__).resolve().parents[3] / "shared" / "real-eval"


def test_anchors_follow_the_ssd_layout():
    a = ops.ssd_anchors()
    assert a.shape == (2254, 2)
    assert np.allclose(a[0], a[1]) and np.allclose(a[0], [0.5 / 28, 0.5 / 28])      # 2 per stride-8 cell
    assert np.allclose(a[2], [1.5 / 28, 0.5 / 28])
    assert np.allclose(a[1568], [0.5 / 14, 0.5 / 14])                                # stride 16 starts
    assert np.allclose(a[1568 + 392:1568 + 392 + 6], [0.5 / 7, 0.5 / 7])              # 3 stride-32 layers × 2
    assert a.min() > 0 and a.max() < 1


def test_letterbox_maps_points_back_and_pads_black():
    img = np.full((100, 300, 3), 200, np.uint8)
    x, fit = ops.letterbox(img)
    assert x.shape == (1, 224, 224, 3) and x.dtype == np.float32
    assert x[0, 0, 0, 0] == -1.0 and x[0, 112, 112, 0] == pytest.approx(200 / 127.5 - 1, abs=1e-6)
    p = np.array([[30.0, 70.0], [299.0, 1.0]])
    assert np.allclose(fit.to_image(p * fit.scale + [fit.pad_x, fit.pad_y]), p)


@pytest.mark.parametrize("rotation", [0.0, 0.6, -2.0])
def test_roi_crop_and_projection_agree(rotation):
    """A dot drawn in the image is found in the crop where Roi.to_image says it comes from."""
    img = np.zeros((400, 500, 3), np.uint8)
    dot = np.array([260.0, 170.0])                                          # integer-centred px
    cv2.circle(img, tuple(int(v) for v in dot), 3, (255, 255, 255), -1)
    roi = ops.Roi(250.5, 200.5, 180.0, rotation)
    patch = ops.crop(img, roi)[0, ..., 0]
    ys, xs = np.nonzero(patch > 0.5)
    uv = np.array([xs.mean() + 0.5, ys.mean() + 0.5]) / ops.LMK_SIZE       # crop-normalised
    assert np.abs(ops.to_integer_centred(roi.to_image(uv)) - dot).max() < 0.5


def test_detection_roi_is_upright_for_a_standing_person_and_turns_with_the_body():
    r = ops.detection_roi(np.array([[100.0, 300.0], [100.0, 200.0], [0, 0], [0, 0]]))
    assert (r.cx, r.cy, r.rotation) == (100.0, 300.0, 0.0) and r.size == pytest.approx(250.0)
    lying = ops.detection_roi(np.array([[100.0, 300.0], [200.0, 300.0], [0, 0], [0, 0]]))
    assert lying.rotation == pytest.approx(np.pi / 2)
    # the crop's "up" (normalised (0.5, 0)) points from the hips to the scale point
    assert np.allclose(lying.to_image(np.array([0.5, 0.0])), [100 + 125, 300])


def test_weighted_nms_merges_overlaps_and_keeps_the_rest():
    d = np.zeros((3, 12))
    d[0, :4] = (0, 0, 10, 10)
    d[1, :4] = (1, 0, 11, 10)
    d[2, :4] = (50, 50, 60, 60)
    out, s = ops.weighted_nms(d, np.array([0.9, 0.3, 0.6]))
    assert np.allclose(s, [0.9, 0.6])
    assert out[0, 0] == pytest.approx(0.3 / 1.2) and np.allclose(out[1, :4], d[2, :4])


def test_heatmap_refinement_moves_confident_landmarks_only():
    hm = np.full((64, 64, 2), -20.0)
    hm[10, 20, 0] = 5.0                                                     # landmark 0: a sharp peak
    xy = ops.refine_from_heatmap(np.array([[21.4 / 64, 11.2 / 64], [0.5, 0.5]]), hm)
    assert np.allclose(xy[0], [20 / 64, 10 / 64], atol=1e-6) and np.allclose(xy[1], [0.5, 0.5])


def test_bad_config_is_an_error():
    with pytest.raises(HuporError):
        BlazeConfig(refine="twice")
    with pytest.raises(HuporError):
        BlazeConfig(min_presence=2.0)


# -- the multi-person logic with stand-in models --------------------------------------------------

def body(x, top, height, vis=0.95):
    """(35, 4) landmarks of an upright person (continuous px): a column from ``top``, aux points
    mid-hip and scale point as BlazePose gives them."""
    lm = np.zeros((35, 4))
    lm[:33, 0] = x + 0.1 * height * np.sin(np.arange(33))
    lm[:33, 1] = top + height * np.linspace(0, 1, 33)
    lm[:33, 2:] = vis
    lm[33] = (x, top + 0.55 * height, 1, 1)
    lm[34] = (x, top + 0.55 * height - 0.5 * height, 1, 1)
    return lm


class FakePose(BlazePose):
    """Known people: the 'detector' finds, in each crop, the people lying fully inside it (ROIs in
    crop px); the 'landmark model' answers the person nearest the ROI centre if it lies in the ROI."""

    def __init__(self, people, tiles, config=BlazeConfig(hog=False)):
        super().__init__(tiles, config, models=object())
        self.people = people
        self.crops_seen = []

    def crop_rois(self, image, box):
        x0, y0, x1, y1 = box
        self.crops_seen.append((x0, y0, x1, y1))
        out = []
        for lm in self.people:
            lo, hi = lm[:33, :2].min(0), lm[:33, :2].max(0)
            if lo[0] >= x0 and lo[1] >= y0 and hi[0] < x1 and hi[1] < y1 and hi[1] - lo[1] > 0.15 * (y1 - y0):
                out.append((0.9, ops.detection_roi(lm[33:35, :2])))
        return out

    def person(self, image, roi):
        c = np.array([roi.cx, roi.cy])
        d = [np.linalg.norm(lm[33, :2] - c) for lm in self.people]
        best = self.people[int(np.argmin(d))]
        return best.copy() if min(d) < 0.25 * roi.size else None


def test_tiles_find_small_people_once_each_and_drop_low_visibility_ones():
    people = [body(300, 100, 400), body(80, 500, 90), body(700, 480, 100), body(500, 600, 80, vis=0.2)]
    img = np.zeros((768, 1000, 3), np.uint8)
    whole = FakePose(people, TileConfig(tile=0))
    assert len(whole(img)) == 1                                             # the frame alone: the big one
    tiled = FakePose(people, TileConfig(tile=256))
    out = tiled(img)
    assert len(tiled.crops_seen) > 1 and len(out) == 3                           # small ones found, once each
    for lm in people[:3]:                                                   # the 0.2-visibility one dropped
        want = np.concatenate([ops.to_integer_centred(lm[list(BLAZEPOSE_TO_COCO), :2]),
                               lm[list(BLAZEPOSE_TO_COCO), 2:3]], 1)
        assert any(np.allclose(o, want) for o in out)


def test_second_pass_drops_people_that_do_not_hold_still():
    class Drifting(FakePose):
        def person(self, image, roi):
            lm = super().person(image, roi)
            if lm is not None and roi.rotation == 0.0 and abs(roi.cx - 300) < 1:
                lm[:, :2] += (0.3 * 400, 0)                               # re-cropped: jumps away
            return lm

    people = [body(300, 100, 400)]
    img = np.zeros((600, 800, 3), np.uint8)
    assert len(FakePose(people, TileConfig(tile=0))(img)) == 1
    assert len(Drifting(people, TileConfig(tile=0))(img)) == 0
    assert len(Drifting(people, TileConfig(tile=0), BlazeConfig(hog=False, refine="none"))(img)) == 1


# -- the real models on a real photo ---------------------------------------------------------------

def test_real_models_find_the_labelled_person_in_a_coco_photo():
    gt = json.loads((REAL / "gt.json").read_text())
    entry = next(e for e in gt["2d"] if e["image"] == "coco_000000000785.jpg")
    img = cv2.imread(str(REAL / "images" / entry["image"]))
    det = BlazePose(TileConfig(tile=0), BlazeConfig(hog=False))
    x, fit = ops.letterbox(img)
    boxes, scores = det.models.detect(x)
    assert boxes.shape == (2254, 12) and scores.shape == (2254,)
    kp = det(img)
    assert kp.shape[1:] == (17, 3) and 1 <= len(kp) <= 2
    idx = [COCO17.joints.index(j) for j in LIMB12]
    person = entry["persons"][0]
    best = max(oks(k[idx, :2], np.array(person["kp"]), person["area"]) for k in kp)
    assert best > 0.8                                                       # measured 0.95
    assert ((kp[..., 2] >= 0) & (kp[..., 2] <= 1)).all()
