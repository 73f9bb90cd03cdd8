"""The plug-ins' grouping oracle: peaks go to the true person they lie on, far peaks to nobody."""

import numpy as np
import pytest

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


def test_swap_in_truth_replaces_only_the_maps_asked_for():
    from hupor.bench.grouping import swap_in_truth
    from hupor.plugins.config import LIMBS
    from hupor.plugins.pafgroup import decode_higher_paf

    limbs = LIMBS["crowdpose14"]
    one = np.array([[20, 30], [44, 30], [16, 50], [48, 50], [14, 70], [50, 70], [24, 72], [40, 72],
                    [24, 100], [40, 100], [24, 125], [40, 125], [32, 10], [32, 22]], float)
    xy, lab = np.stack([one, one + [90, 5]]), np.ones((2, 14), bool)
    zero_lo, zero_hi, zero_paf = np.zeros((14, 40, 48)), np.zeros((14, 80, 96)), np.zeros((26, 40, 48))
    lo, hi, paf = swap_in_truth("both", zero_lo, zero_hi, zero_paf, xy, lab, limbs, 192, 160)
    kp, _ = decode_higher_paf(lo, paf, hi, limbs)
    assert len(kp) == 2 and (kp[..., 2] > 0).all()
    np.testing.assert_allclose(kp[np.argsort(kp[:, 0, 0]), :, :2], xy, atol=2.0)
    lo, hi, paf = swap_in_truth("heat", zero_lo, zero_hi, zero_paf, xy, lab, limbs, 192, 160)
    assert paf is zero_paf and lo.max() > 0.9 and len(decode_higher_paf(lo, paf, hi, limbs)[0]) == 0
    lo, hi, paf = swap_in_truth("paf", zero_lo, zero_hi, zero_paf, xy, lab, limbs, 192, 160)
    assert lo is zero_lo and hi is zero_hi and np.abs(paf).max() == 1.0
    with pytest.raises(ValueError):
        swap_in_truth("tags", zero_lo, zero_hi, zero_paf, xy, lab, limbs, 192, 160)


def test_peak_stats_measures_the_nearest_peak_of_each_labelled_joint():
    from hupor.bench.grouping import peak_stats

    joints = np.array([[[20.0, 20.0], [24.0, 40.0]], [[60.0, 20.0], [64.0, 40.0]]])
    peaks = joints.copy()
    peaks[0, 1] += (3.0, 4.0)                 # 5 px off
    extra = np.array([[100.0, 100.0]])        # a spurious peak of joint 0
    heat = gaussian_heatmaps(net_to_out(np.concatenate([peaks.reshape(-1, 2), extra]), 2),
                             np.array([0, 1, 0, 1, 0]), 2, 1.5, 64, 64)
    lab = np.array([[True, True], [True, False]])
    dist, count = peak_stats(heat, joints, lab, threshold=0.1)
    assert count == 5 and len(dist) == 3
    np.testing.assert_allclose(np.sort(dist), [0.0, 0.0, 5.0], atol=0.5)
