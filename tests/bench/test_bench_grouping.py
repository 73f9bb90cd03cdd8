"""The plug-ins' grouping oracle: peaks go to the true person they lie on, far peaks to nobody."""

import numpy as np

from hupor.bench.grouping import group_by_truth
from hupor.codec.encode import gaussian_heatmaps
from hupor.codec.grid import net_to_out


def test_peaks_join_their_true_person_and_far_ones_are_dropped():
    # two people, 3 joints, network-input px; the heatmaps at 1/2 hold peaks of both people
    joints = np.array([[[20.0, 20.0], [24.0, 40.0], [28.0, 60.0]],
                       [[30.0, 22.0], [34.0, 42.0], [80.0, 80.0]]])
    labelled = np.array([[True, True, True], [True, True, True]])
    peaks = joints.copy()
    peaks[1, 2] = (10.0, 90.0)               # person 1's third peak lies far from its joint
    heat = gaussian_heatmaps(net_to_out(peaks, 2).reshape(-1, 2), np.tile(np.arange(3), 2), 3, 1.5, 64, 64)
    kp, score = group_by_truth(heat, joints, labelled, threshold=0.1, radius=6.0)
    assert kp.shape == (2, 3, 3)
    assert np.allclose(kp[0, :, :2], joints[0], atol=1.0) and (kp[0, :, 2] > 0.5).all()
    assert np.allclose(kp[1, :2, :2], joints[1, :2], atol=1.0) and kp[1, 2, 2] == 0
    assert score[0] > score[1] > 0
    # nobody labelled → nobody returned; a person without any matched peak is left out
    none, s = group_by_truth(heat, joints, np.zeros((2, 3), bool), threshold=0.1)
    assert none.shape == (0, 3, 3) and s.shape == (0,)


def test_paf_agreement_reads_the_field_along_the_limbs():
    from hupor.bench.grouping import paf_agreement

    t = np.zeros((2, 4, 6))
    t[0, 1, 1:5] = 1.0                       # one limb along +x on row 1
    assert paf_agreement(t, t) == (1.0, 0.0)
    half = 0.5 * t
    half[1, 3, 0] = 0.3                      # a stray field off the limb
    on, off = paf_agreement(half, t)
    assert on == 0.5 and np.isclose(off, 0.3 / (24 - 4))
    assert paf_agreement(-t, t)[0] == -1.0
