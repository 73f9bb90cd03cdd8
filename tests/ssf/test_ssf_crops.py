"""Person crops: the box rule, the crop's pixels and its camera agree with the image's."""

import numpy as np
import pytest

from hupor.camera import Intrinsics
from hupor.errors import HuporError
from hupor.ssf.crops import crop_camera, crop_person, croppable, joint_input, person_box


def test_person_box_is_square_around_the_labelled_joints():
    xy = np.array([[100.0, 50.0], [140.0, 150.0], [1000.0, 1000.0]])
    box = person_box(xy, [True, True, False], margin=1.2)
    assert box == pytest.approx((120 - 60, 100 - 60, 120 + 60, 100 + 60))
    with pytest.raises(HuporError, match="no labelled"):
        person_box(xy, [False] * 3)
    assert croppable(np.zeros((15, 2)), np.r_[[True] * 4, [False] * 11], root=2)
    assert not croppable(np.zeros((15, 2)), np.r_[[True] * 2, [False] * 13], root=2)   # no pelvis


def test_a_point_lands_where_the_crop_camera_projects_it():
    k = Intrinsics(500.0, 500.0, 320.0, 240.0)
    image = np.zeros((480, 640, 3), np.uint8)
    ids = np.zeros((480, 640), np.int16)
    p = np.array([[300.0, -100.0, 4000.0]])
    u, v = k.project(p)[0]
    image[int(round(v)) - 2:int(round(v)) + 3, int(round(u)) - 2:int(round(u)) + 3] = 255
    ids[int(round(v)) - 2:int(round(v)) + 3, int(round(u)) - 2:int(round(u)) + 3] = 7
    box = (u - 40.0, v - 60.0, u + 80.0, v + 60.0)                  # 120 px → 48 px: scale 0.4
    crop, mask = crop_person(image, ids, 7, box, 48)
    assert crop.shape == (3, 48, 48) and mask.shape == (48, 48) and set(np.unique(mask)) == {0, 1}
    fx, fy, cx, cy = crop_camera(k, box, 48)
    cu, cv = fx * p[0, 0] / p[0, 2] + cx, fy * p[0, 1] / p[0, 2] + cy
    peak = np.unravel_index(crop[0].astype(float).argmax(), crop[0].shape)
    assert abs(peak[1] - cu) <= 1 and abs(peak[0] - cv) <= 1
    mv, mu = np.argwhere(mask).mean(0)
    assert abs(mu - cu) <= 1 and abs(mv - cv) <= 1
    outside = crop_person(image, None, 7, (-500.0, -500.0, -400.0, -400.0), 16)
    assert outside[1] is None and outside[0].max() == 0              # off the image: black


def test_joint_input_marks_where_the_crop_shows_each_labelled_joint():
    image = np.zeros((100, 120, 3), np.uint8)
    image[40, 70] = 255
    xy = np.array([[[70.0, 40.0], [30.0, 20.0], [90.0, 80.0]]])
    lab = np.array([[True, True, False]])
    box = person_box(xy[0], lab[0])
    crop, _ = crop_person(image, None, 0, box, 32)
    ji = joint_input(xy, lab, np.array([box]), 32)
    assert ji.shape == (1, 3, 3) and ji.dtype == np.float32
    v, u = np.unravel_index(crop[0].argmax(), crop[0].shape)
    assert abs(ji[0, 0, 0] - ((u + 0.5) / 32 * 2 - 1)) < 2 / 32 and abs(ji[0, 0, 1] - ((v + 0.5) / 32 * 2 - 1)) < 2 / 32
    assert (ji[0, :2, 2] == 1).all() and (ji[0, 2] == 0).all()           # unlabelled: (0, 0, 0)
    assert np.abs(ji[0, :2, :2]).max() <= 1                              # the box holds its joints
