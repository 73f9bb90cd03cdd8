import pytest
import torch

from hupor.errors import HuporError
from hupor.nets import DetUnit, detector_loss, dsed_loss, maps57_to_det, unit_levels
from hupor.nets.config import DetectorConfig, ReasonerConfig
from hupor.nets.dsed import ReasonerOutput, ReasonUnit
from hupor.nets.losses import channel_mse, reduce_channels, root_depth_loss

B, H, W = 2, 8, 12


def _targets(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(B, 5, 57, H, W, generator=g) * 100


def _perfect_outputs(maps, rd_value, stages=2, c2f=True):
    levels = unit_levels(stages, c2f)
    out = []
    for s in range(stages):
        units = []
        for u in range(4):
            m2, z = maps57_to_det(maps[:, levels[s][u]])
            units.append(DetUnit(m2.clone(), z.clone(), torch.full((B, 7, H, W), rd_value)))
        out.append(units)
    return out


def _root_targets(value=1.5, people=10):
    rd = torch.zeros(B, 7, 20, 3)
    rd[:, :, :people, 0] = torch.arange(people).float().remainder(H)
    rd[:, :, :people, 1] = torch.arange(people).float().remainder(W)
    rd[:, :, :people, 2] = value
    return rd


def test_unit_levels():
    assert unit_levels(3, True) == [[0, 1, 2, 3], [0, 1, 2, 3], [1, 2, 3, 4]]
    assert unit_levels(2, False) == [[0, 1, 2, 3], [0, 1, 2, 3]]


def test_detector_loss_is_zero_for_perfect_outputs_and_positive_otherwise():
    maps = _targets()
    valid = torch.ones(B, 57)
    terms = detector_loss(_perfect_outputs(maps, 1.5), maps, valid, _root_targets(1.5))
    assert set(terms) == {"det_2d", "det_z", "det_depth", "total"}
    assert float(terms["total"]) == pytest.approx(0.0, abs=1e-6)
    # levels matter: without coarse-to-fine the last stage's targets are shifted by one level
    terms = detector_loss(_perfect_outputs(maps, 1.5, c2f=False), maps, valid, _root_targets(1.5))
    assert float(terms["det_2d"]) > 1.0


def test_valid_mask_removes_3d_terms():
    maps = _targets()
    out = _perfect_outputs(maps, 1.5)
    for units in out:
        for u in units:
            u.z.add_(7.0)
    valid = torch.ones(B, 57)
    assert float(detector_loss(out, maps, valid, _root_targets(1.5))["det_z"]) > 0
    valid[:, 15:][:, 2::3] = 0  # the z channels of the maps57 layout (COCO-style sample)
    terms = detector_loss(out, maps, valid, _root_targets(1.5))
    assert float(terms["det_z"]) == 0.0 and float(terms["det_2d"]) == pytest.approx(0.0, abs=1e-6)


def test_detector_loss_weights_and_unit_scaling():
    # constant error e on every 2D channel: coarse units give 0.1·e²/4, finest 0.1·(e² + e²) (OHKM
    # means of keypoints and PAFs summed), per stage
    maps = _targets()
    out = _perfect_outputs(maps, 1.5, stages=1)
    for u in out[0]:
        u.maps2d.add_(2.0)
    terms = detector_loss(out, maps, torch.ones(B, 57), _root_targets(1.5))
    expect = 3 * 0.1 * 4.0 / 4 + 0.1 * (4.0 + 4.0)
    assert float(terms["det_2d"]) == pytest.approx(expect, rel=1e-5)


def test_ohkm_keeps_the_hardest_channels():
    loss = torch.zeros(1, 43)
    loss[0, :8] = 10.0        # 8 hard keypoint channels, 7 easy ones
    loss[0, 15:31] = 4.0      # 16 hard PAF channels, 12 easy ones
    fine = reduce_channels(loss, [(0, 15, 1.0, 8), (15, 43, 1.0, 16)], finest=True)
    coarse = reduce_channels(loss, [(0, 15, 1.0, 8), (15, 43, 1.0, 16)], finest=False)
    assert float(fine) == pytest.approx(14.0)
    assert float(coarse) == pytest.approx((80 + 64) / 43)


def test_root_depth_loss_counts_all_people():
    pred = torch.zeros(B, 7, H, W)
    rd = _root_targets(2.0, people=12)    # more than 7 people per channel (the official loop bug)
    assert float(root_depth_loss(pred, rd)) == pytest.approx(2.0)
    pred[:, :, 0, 0] = 2.0                # person 0 of every channel sits at (0, 0)
    assert float(root_depth_loss(pred, rd)) == pytest.approx(2.0 * 11 / 12)
    assert float(root_depth_loss(pred, torch.zeros(B, 7, 20, 3))) == 0.0
    with pytest.raises(HuporError, match="root-depth target"):
        root_depth_loss(pred, torch.zeros(B, 7, 20))


def test_shape_errors_name_the_input():
    maps = _targets()
    out = _perfect_outputs(maps, 1.0)
    with pytest.raises(HuporError, match="detector targets"):
        detector_loss(out, maps[:, :, :43], torch.ones(B, 57), _root_targets())
    with pytest.raises(HuporError, match="valid mask"):
        detector_loss(out, maps, torch.ones(B, 43), _root_targets())


def _reason_out(maps_all, x57, cfg, occ_dec=None):
    levels = unit_levels(cfg.stages, cfg.coarse_to_fine)
    x2d, xz = maps57_to_det(x57)
    units = []
    for s in range(cfg.stages):
        row = []
        for u in range(4):
            a2d, az = maps57_to_det(maps_all[:, levels[s][u]])
            row.append(ReasonUnit(a2d.clone(), az.clone(), a2d - x2d, az - xz))
        units.append(row)
    return ReasonerOutput(units, [[] for _ in range(cfg.stages)])


def test_dsed_loss_terms():
    cfg = ReasonerConfig(stages=2)
    maps_all = _targets()
    x = torch.zeros(B, 57, H, W)
    out = _reason_out(maps_all, x, cfg)
    terms = dsed_loss(out, maps_all, maps_all, None, 0.5, cfg)
    assert set(terms) == {"all", "occ", "distill", "total"}
    assert float(terms["all"]) == pytest.approx(0.0, abs=1e-6)
    assert float(terms["occ"]) == pytest.approx(0.0, abs=1e-6)   # x = 0: occluded = all
    zero_occ = dsed_loss(out, maps_all, torch.zeros_like(maps_all), None, 0.5, cfg)
    assert float(zero_occ["occ"]) > 0 and float(zero_occ["all"]) == pytest.approx(0.0, abs=1e-6)
    off = ReasonerConfig(stages=2, lambda_k_occ=0.0, lambda_p_occ=0.0)
    assert float(dsed_loss(out, maps_all, torch.zeros_like(maps_all), None, 0.5, off)["occ"]) == 0.0
    assert float(dsed_loss(out, maps_all, None, None, 0.5, cfg)["occ"]) == 0.0
    # z errors are scaled by z_scale relative to PAF-xy errors
    for units in out.units:
        for u in units:
            u.z.add_(1.0)
    z1 = float(dsed_loss(out, maps_all, None, None, 0.0, cfg)["all"])
    z2 = float(dsed_loss(out, maps_all, None, None, 0.0, ReasonerConfig(stages=2, z_scale=100.0))["all"])
    assert z2 == pytest.approx(2 * z1)
