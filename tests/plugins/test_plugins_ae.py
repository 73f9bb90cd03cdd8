"""HigherHRNet targets, associative-embedding loss and decoder: round trip on ground-truth maps."""

import numpy as np
import pytest
import torch

from hupor.plugins.ae import ae_loss, decode_higher, higher_targets
from plugin_helpers import light_overlap_round_trip



def _gt_tags(joints, n_ch, h, w, spacing=2.0, radius=2):
    """Tag maps holding person p's value (p + 1) · spacing around each of its joints."""
    tags = np.zeros((n_ch, h, w), np.float32)
    for p, person in enumerate(joints):
        for j, (r, c, ok) in enumerate(person):
            if ok:
                tags[j, max(0, r - radius):r + radius + 1, max(0, c - radius):c + radius + 1] = (p + 1) * spacing
    return tags


def test_targets_put_each_labelled_joint_at_both_resolutions():
    xy = np.array([[[40.0, 30.0], [100.0, 60.0]]])
    t = higher_targets(xy, np.array([[2, 1]]), 128, 96)
    assert t.heat_lo.shape == (2, 24, 32) and t.heat_hi.shape == (2, 48, 64)
    assert t.heat_lo.max() == pytest.approx(1.0) and t.heat_hi[1].max() == pytest.approx(1.0)
    r, c = np.unravel_index(t.heat_hi[0].argmax(), t.heat_hi[0].shape)
    assert abs(c * 2 + 0.5 - 40.0) <= 1.0 and abs(r * 2 + 0.5 - 30.0) <= 1.0
    assert t.joints[0, :, 2].tolist() == [1, 1]
    vis_only = higher_targets(xy, np.array([[2, 1]]), 128, 96, visible_only=True)
    assert vis_only.heat_lo[1].max() == 0 and vis_only.joints[0, 1, 2] == 0


def test_ae_loss_pulls_within_and_pushes_between_people():
    joints = [np.array([[[2, 3, 1], [4, 5, 1]], [[6, 7, 1], [1, 1, 1]]])]
    good = torch.zeros(1, 2, 8, 8)
    good[0, :, 2, 3] = good[0, :, 4, 5] = 0.0
    good[0, 0, 2, 3], good[0, 1, 4, 5] = 1.0, 1.0                 # person 0: tag 1
    good[0, 0, 6, 7], good[0, 1, 1, 1] = 5.0, 5.0                 # person 1: tag 5
    pull, push = ae_loss(good, joints)
    assert pull.item() == pytest.approx(0.0) and push.item() < 1e-3
    same = torch.zeros(1, 2, 8, 8)
    pull2, push2 = ae_loss(same, joints)
    assert push2.item() == pytest.approx(1.0)                    # everyone on one tag
    messy = good.clone()
    messy[0, 1, 4, 5] = 3.0
    assert ae_loss(messy, joints)[0].item() == pytest.approx(0.5)    # person 0: tags 1, 3 around 2


def test_decoding_ground_truth_maps_scores_ap_near_one():
    """Round trip: the ground truth encoded (heatmaps at 1/4 and 1/2, one tag value per person) and
    decoded. Light overlap (CrowdPose's easy images) must give AP >= 0.95; where people overlap,
    merged Gaussians and shared tag pixels lose joints (the ceiling of the maps, docs/networks.md)."""
    def decode(xy, vis, rec):
        t = higher_targets(xy, vis, rec.width, rec.height)
        return decode_higher(t.heat_lo, _gt_tags(t.joints, 14, rec.height // 4, rec.width // 4), t.heat_hi)

    stats = light_overlap_round_trip(decode)
    assert stats["AP_easy"] >= 0.95 and stats["AP"] >= 0.9


def test_paf_grouping_of_ground_truth_maps_scores_ap_near_one():
    """``model.higherhrnet.grouping: paf``: the same round trip with the PAF branch's ground-truth
    limb fields instead of the tags."""
    from hupor.plugins.config import LIMBS
    from hupor.plugins.data import paf2d_targets
    from hupor.plugins.pafgroup import decode_higher_paf

    limbs = LIMBS["crowdpose14"]

    def decode(xy, vis, rec):
        t = higher_targets(xy, vis, rec.width, rec.height)
        paf = paf2d_targets(xy, vis > 0, limbs, 4, rec.width, rec.height)
        return decode_higher_paf(t.heat_lo, paf, t.heat_hi, limbs)

    stats = light_overlap_round_trip(decode)
    assert stats["AP_easy"] >= 0.95 and stats["AP"] >= 0.9


def test_paf_grouping_keeps_two_people_apart():
    """Two people side by side, each joint's peak a Gaussian: every pair across people has no PAF
    support, so the decoder returns two people with all their joints."""
    from hupor.plugins.config import LIMBS
    from hupor.plugins.data import paf2d_targets
    from hupor.plugins.pafgroup import decode_higher_paf

    limbs = LIMBS["crowdpose14"]
    one = np.array([[20, 30], [44, 30], [16, 50], [48, 50], [14, 70], [50, 70], [24, 72], [40, 72],
                    [24, 100], [40, 100], [24, 125], [40, 125], [32, 10], [32, 22]], float)
    xy = np.stack([one, one + [90, 5]])
    vis = np.full((2, 14), 2)
    t = higher_targets(xy, vis, 192, 160)
    kp, score = decode_higher_paf(t.heat_lo, paf2d_targets(xy, vis > 0, limbs, 4, 192, 160), t.heat_hi, limbs)
    assert len(kp) == 2 and (kp[..., 2] > 0).all()
    order = np.argsort(kp[:, 0, 0])
    np.testing.assert_allclose(kp[order, :, :2], xy, atol=2.0)
    # the line-integral test is the caller's: fields at 0.04 of unit length fail OpenPose's 0.05, pass 0.01
    weak = 0.04 * paf2d_targets(xy, vis > 0, limbs, 4, 192, 160)
    assert len(decode_higher_paf(t.heat_lo, weak, t.heat_hi, limbs)[0]) == 0
    assert len(decode_higher_paf(t.heat_lo, weak, t.heat_hi, limbs, point_thr=0.01)[0]) == 2
