"""Root depth is read only where the *detector* sees the torso joint (supplement §1.1, defect 1 of the
learning issue): a pelvis that the reasoner inferred behind an occluder must not give the depth."""

import numpy as np
import pytest
from codec_helpers import F_NET, LB, K, single_person

from hupor.codec import Codec, DecodeParams
from hupor.codec.grid import nearest_pixel, net_to_out
from hupor.skeleton import MPI15

CODEC = Codec()
PELVIS, L_HIP, R_HIP = (MPI15.joints.index(n) for n in ("pelvis", "l_hip", "r_hip"))


def occluded_lower_torso():
    """One person at 5 m; pelvis and both hips occluded by something at 3 m."""
    sc = single_person(z_mm=5000.0, yaw=0.0)
    sc.visibility[0, [PELVIS, L_HIP, R_HIP]] = 1
    t = CODEC.encode(sc.joints_net, sc.joints_3d, sc.visibility, F_NET, levels=(4,), subsets=("vis", "all"))
    h, w = t.maps["all"].shape[-2:]
    true_unit = sc.joints_3d[0, PELVIS, 2] / 10.0 / F_NET
    rd = np.full((len(MPI15.torso), h, w), true_unit, np.float32)
    for j in (PELVIS, L_HIP, R_HIP):  # the visible-only depth head sees the occluder there
        c, r = nearest_pixel(net_to_out(sc.joints_net[0, j], 4))
        rd[:, max(r - 3, 0):r + 4, max(c - 3, 0):c + 4] = 3000.0 / 10.0 / F_NET
    det_heat = t.maps["vis"][0, :15] / 255.0
    return t.maps["all"][0], rd, det_heat


@pytest.mark.parametrize("rule", ["cascade", "weighted"])
def test_detector_gating_reads_the_visible_shoulders(rule):
    maps, rd, det_heat = occluded_lower_torso()
    params = DecodeParams(root_rule=rule)
    gated = CODEC.decode(maps, rd, LB, K, params, det_heat=det_heat)
    assert len(gated) == 1
    assert gated.root_depth_mm[0] == pytest.approx(5000.0, rel=0.03)
    # the old gating (the reasoner's maps) reads the occluder's depth at the inferred pelvis
    old = CODEC.decode(maps, rd, LB, K, DecodeParams(root_rule=rule, root_confidence="reasoner"), det_heat=det_heat)
    assert old.root_depth_mm[0] == pytest.approx(3000.0, rel=0.01)


def test_offsets_are_metric_and_converted_per_image():
    maps, rd, det_heat = occluded_lower_torso()
    base = CODEC.decode(maps, rd, LB, K, DecodeParams(), det_heat=det_heat).root_depth_mm[0]
    shifted = CODEC.decode(maps, rd, LB, K, DecodeParams(delta_shoulders_mm=100.0), det_heat=det_heat)
    assert shifted.root_depth_mm[0] - base == pytest.approx(100.0, abs=1e-6)
