"""PifPaf's fields: targets, loss, decoder (round trip on ground-truth fields) and a one-batch overfit."""

import numpy as np
import pytest
import torch

from hupor.errors import HuporError
from hupor.plugins.config import LIMBS, PifPafConfig, ResNetConfig
from hupor.plugins.fields import _snap, collate_targets, decode_pifpaf, pif_hr, pifpaf_loss, pifpaf_targets
from hupor.plugins.pifpaf import PifPaf
from hupor.skeleton import CROWDPOSE14
from plugin_helpers import light_overlap_round_trip, overfit_ratio

LIM = LIMBS["crowdpose14"]
SIG = CROWDPOSE14.sigmas


def _person(x0=100.0, y0=40.0):
    """One CrowdPose-14 person (network px), every joint visible."""
    xy = np.array([[x0 - 10, y0 + 10], [x0 + 10, y0 + 10], [x0 - 14, y0 + 25], [x0 + 14, y0 + 25],
                   [x0 - 16, y0 + 40], [x0 + 16, y0 + 40], [x0 - 7, y0 + 45], [x0 + 7, y0 + 45],
                   [x0 - 8, y0 + 65], [x0 + 8, y0 + 65], [x0 - 8, y0 + 85], [x0 + 8, y0 + 85],
                   [x0, y0 - 8], [x0, y0 + 3]])
    return xy[None], np.full((1, 14), 2)


def test_targets_claim_cells_near_joints_and_limbs():
    xy, vis = _person()
    vis[0, 5] = 1                                           # an occluded wrist
    t = pifpaf_targets(xy, vis, 256, 160, 8, LIM, SIG)
    assert t.pif_c.shape == (14, 20, 32) and t.paf_vec.shape == (13, 2, 2, 20, 32)
    for j in range(14):
        r, c = np.nonzero(t.pif_c[j])
        assert 9 <= r.size <= 16                            # cells within 2 px of the joint
        u = (xy[0, j] - 3.5) / 8
        np.testing.assert_allclose(np.stack([c, r], -1) + t.pif_vec[j, :, r, c], np.tile(u, (r.size, 1)))
    assert (t.pif_scale[t.pif_c > 0] >= 0.5).all() and (t.pif_scale[t.pif_c == 0] == 0).all()
    li = LIM.index((0, 2))
    r, c = np.nonzero(t.paf_c[li])
    np.testing.assert_allclose(np.stack([c, r], -1) + t.paf_vec[li, 1, :, r, c], np.tile((xy[0, 2] - 3.5) / 8, (r.size, 1)))
    vis_only = pifpaf_targets(xy, vis, 256, 160, 8, LIM, SIG, visible_only=True)
    assert vis_only.pif_c[5].sum() == 0 and vis_only.paf_c[LIM.index((3, 5))].sum() == 0
    assert t.pif_c[5].sum() > 0
    with pytest.raises(HuporError, match="pifpaf_targets"):
        pifpaf_targets(xy, vis, 256, 160, 8, LIM, SIG[:5])


def test_high_resolution_map_peaks_at_the_voted_point():
    xy, vis = _person()
    t = pifpaf_targets(xy, vis, 256, 160, 8, LIM, SIG)
    hr = pif_hr(t.pif_c, t.pif_vec, np.maximum(t.pif_scale, 0.5), upscale=4)
    assert hr.shape == (14, 80, 128) and hr.max() <= 1.3
    r, c = np.unravel_index(hr[12].argmax(), hr[12].shape)
    assert np.allclose([c / 4, r / 4], (xy[0, 12] - 3.5) / 8, atol=0.5) and hr[12].max() > 0.8
    snapped, value = _snap(hr[12], np.array([c / 4, r / 4]), 4, 4)     # the decoder's refinement
    assert np.allclose(snapped, (xy[0, 12] - 3.5) / 8, atol=0.1) and value > 0.8


def test_loss_is_lower_for_the_right_fields():
    xy, vis = _person()
    t = collate_targets([pifpaf_targets(xy, vis, 256, 160, 8, LIM, SIG)])
    j, nl = 14, len(LIM)
    right_pif = torch.zeros(1, j, 5, 20, 32)
    right_pif[:, :, 0] = t["pif_c"] * 20 - 10
    right_pif[:, :, 1:3] = t["pif_vec"]
    right_pif[:, :, 4] = t["pif_scale"].clamp(min=1e-3).log()
    right_paf = torch.zeros(1, nl, 7, 20, 32)
    right_paf[:, :, 0] = t["paf_c"] * 20 - 10
    right_paf[:, :, 1:3], right_paf[:, :, 3:5] = t["paf_vec"][:, :, 0], t["paf_vec"][:, :, 1]
    good = pifpaf_loss(right_pif, right_paf, t)
    wrong = right_pif.clone()
    wrong[:, :, 1:3] += 1.0
    bad = pifpaf_loss(wrong, right_paf, t)
    assert bad["pif_vec"] > good["pif_vec"] + 1 and bad["pif_conf"] == good["pif_conf"]
    assert good["pif_conf"] < 0.05 and good["pif_scale"] == 0
    with pytest.raises(HuporError, match="do not match"):
        pifpaf_loss(right_pif[:, :, :, :10], right_paf, t)


def test_decoding_ground_truth_fields_scores_ap_near_one():
    """Round trip on light-overlap scenes (the HigherHRNet decoder's test set): AP >= 0.95."""
    def decode(xy, vis, rec):
        t = pifpaf_targets(xy, vis, rec.width, rec.height, 8, LIM, SIG)
        return decode_pifpaf(t.as_fields(), LIM, 8)

    stats = light_overlap_round_trip(decode)
    assert stats["AP_easy"] >= 0.95 and stats["AP"] >= 0.95


def test_one_batch_overfit_with_the_pifpaf_loss():
    torch.manual_seed(0)
    net = PifPaf(PifPafConfig(backbone=ResNetConfig(block="basic", layers=(1, 1, 1, 1), width=8, stem_width=8,
                                                    maxpool=False)))
    x = torch.randn(2, 3, 64, 96)
    xy, vis = _person(40.0, 0.0)
    xy = xy * 0.6
    t = collate_targets([pifpaf_targets(xy, vis, 96, 64, 8, LIM, SIG)] * 2)
    assert overfit_ratio(net, lambda n: pifpaf_loss(*vars(n(x)).values(), t)["total"], steps=60) < 0.3
