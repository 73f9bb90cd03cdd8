import numpy as np
import pytest

from hupor.camera import Intrinsics
from hupor.errors import HuporError
from hupor.codec.grid import out_to_net
from hupor.predictor import joint_states, resolve_intrinsics
from hupor.schema import MISSING, OCCLUDED_INFERRED, VISIBLE


def test_product_joint_state_rule():
    j, h, w, stride = 3, 10, 12, 4
    heat = np.zeros((j, h, w), np.float32)
    heat[0, 5, 6] = 0.9   # joint 0: detector peak at output pixel (row 5, col 6)
    heat[1, 2, 2] = 0.15  # joint 1: weak evidence only, below the threshold
    heat[2, 8, 8] = 0.5   # joint 2: a peak, but 2 pixels away from the decoded spot
    joints_out = np.array([  # output-map coordinates (pixel c centred at c), converted to net px below
        [[6.2, 5.1], [2.0, 2.3], [6.4, 6.0]],           # person 0
        [[7.4, 3.6], [np.nan, np.nan], [np.nan, np.nan]],  # person 1
    ])
    joints_net = out_to_net(joints_out, stride)
    detected = np.array([[True, True, True], [True, False, False]])
    filled = np.array([[False, False, False], [False, True, False]])
    st = joint_states(heat, joints_net, detected, filled, stride, threshold=0.2, radius=1)
    assert st.dtype == np.int8
    # p0: j0 on the peak → visible; j1 weak → inferred; j2 peak 2 px away (outside 3x3) → inferred
    # p1: j0 one pixel from the peak (inside the 3x3 window) → visible; j1 filled by RefineNet → inferred;
    #     j2 neither → missing
    np.testing.assert_array_equal(st, [[VISIBLE, OCCLUDED_INFERRED, OCCLUDED_INFERRED],
                                       [VISIBLE, OCCLUDED_INFERRED, MISSING]])
    st2 = joint_states(heat, joints_net, detected, filled, stride, threshold=0.2, radius=2)
    assert st2[0, 2] == VISIBLE  # a wider window reaches the peak
    st3 = joint_states(heat, joints_net, detected, filled, stride, threshold=0.1, radius=1)
    assert st3[0, 1] == VISIBLE
    empty = joint_states(heat, np.zeros((0, j, 2)), np.zeros((0, j), bool), np.zeros((0, j), bool), stride, 0.2)
    assert empty.shape == (0, j)
    with pytest.raises(HuporError, match="det_heat"):
        joint_states(heat[:2], joints_net, detected, filled, stride, 0.2)


def test_product_intrinsics_precedence():
    K = [[800, 0, 300], [0, 810, 200], [0, 0, 1]]
    intr, src = resolve_intrinsics(640, 480, K=K, fx=500, fov_degrees=90)
    assert src == "K" and (intr.fx, intr.fy, intr.cx, intr.cy) == (800, 810, 300, 200)
    intr, src = resolve_intrinsics(640, 480, fx=500, fov_degrees=90)
    assert src == "fx" and (intr.fx, intr.fy, intr.cx, intr.cy) == (500, 500, 320, 240)
    intr, src = resolve_intrinsics(640, 480, fov_degrees=90)
    assert src == "fov" and intr.fx == pytest.approx(320) and intr.cy == 240
    intr, src = resolve_intrinsics(640, 480)
    assert src == "default" and (intr.fx, intr.fy, intr.cx, intr.cy) == (640, 640, 320, 240)
    given = Intrinsics(1, 2, 3, 4)
    assert resolve_intrinsics(10, 10, K=given) == (given, "K")


@pytest.mark.parametrize("kwargs, message", [
    ({"K": [[800, 0, 300], [0, 810, 200]]}, "3x3"),
    ({"K": [[-800, 0, 300], [0, 810, 200], [0, 0, 1]]}, "positive"),
    ({"fx": -3}, "positive"),
    ({"fx": float("nan")}, "positive"),
    ({"fov_degrees": 190}, "fov"),
])
def test_product_intrinsics_bad(kwargs, message):
    with pytest.raises(HuporError, match=message):
        resolve_intrinsics(640, 480, **kwargs)
