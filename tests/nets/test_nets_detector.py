import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hupor.errors import HuporError
from hupor.nets import Detector, detector_loss, load_model_config, preprocess
from hupor.nets.config import DetectorConfig

TINY = DetectorConfig(stages=2, blocks=(1, 1, 1, 1), widths=(8, 8, 16, 16), stem_width=16, decoder_width=16)


def test_cpu_tiny_output_structure_and_shapes():
    model, inp = load_model_config("cpu-tiny")
    det = Detector(model.detector)
    x = torch.randn(2, 3, inp.net_h, inp.net_w)
    out = det(x)
    h, w = inp.net_h // 4, inp.net_w // 4  # stride 4 (cpu-tiny)
    assert len(out) == model.detector.stages and all(len(units) == 4 for units in out)
    for units in out:
        for u in units:
            assert u.maps2d.shape == (2, 43, h, w)
            assert u.z.shape == (2, 14, h, w)
            assert u.root_depth.shape == (2, 7, h, w)


def test_infer_is_mean_of_three_finest_units_of_last_stage():
    det = Detector(TINY).eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        out = det(x)
        maps2d, z, rd = det.infer(x)
    last = out[-1]
    expect = (last[1].maps2d + last[2].maps2d + last[3].maps2d) / 3
    torch.testing.assert_close(maps2d, expect)
    torch.testing.assert_close(z, last[3].z)
    torch.testing.assert_close(rd, last[3].root_depth)
    assert not torch.allclose(maps2d, last[3].maps2d)


def test_paper_config_shapes_on_meta_device():
    model, inp = load_model_config("paper")
    with torch.device("meta"):
        det = Detector(model.detector)
        maps2d, z, rd = det.infer(torch.empty(1, 3, inp.net_h, inp.net_w))
    assert maps2d.shape == (1, 43, 128, 208) and z.shape == (1, 14, 128, 208) and rd.shape == (1, 7, 128, 208)
    assert len(det.encoders) == 3


def test_bad_input_shape_raises():
    det = Detector(TINY)
    with pytest.raises(HuporError, match="multiples of 32"):
        det(torch.zeros(1, 3, 70, 64))
    with pytest.raises(HuporError, match="B, 3, H, W"):
        det(torch.zeros(1, 1, 64, 64))


def test_preprocess_bgr_normalisation():
    img = np.zeros((32, 64, 3), np.uint8)
    img[..., 0] = 255  # blue channel first (BGR)
    x = preprocess(img)
    assert x.shape == (1, 3, 32, 64) and x.dtype == torch.float32
    assert torch.allclose(x[0, 0], torch.tensor((1 - 0.406) / 0.225))
    assert torch.allclose(x[0, 2], torch.tensor(-0.485 / 0.229))
    assert preprocess(np.zeros((2, 32, 64, 3), np.uint8)).shape == (2, 3, 32, 64)
    with pytest.raises(HuporError, match="uint8"):
        preprocess(np.zeros((32, 64, 3), np.float32))
    with pytest.raises(HuporError, match="H, W, 3"):
        preprocess(np.zeros((32, 64), np.uint8))


def smooth_targets(b, h, w, gen):
    """Random raw-scale maps57 targets (B, 5, 57, h, w) that every decoder unit can represent (bilinear
    fields from 2×2), so the whole multi-unit loss can go to ~0."""
    low = torch.rand(b * 5, 57, 2, 2, generator=gen)
    maps = F.interpolate(low, size=(h, w), mode="bilinear", align_corners=True).view(b, 5, 57, h, w)
    scale = torch.full((57,), 255.0)
    scale[15:] = torch.tensor([127.0, -127.0, 10.0]).repeat(14)
    return maps * scale.view(1, 1, 57, 1, 1)


def test_tiny_detector_overfits_one_batch():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    cfg = DetectorConfig(stages=1, blocks=(1, 1, 1, 1), widths=(8, 16, 16, 16), stem_width=16,
                         decoder_width=32, head_bn=False)
    det = Detector(cfg)
    x = torch.randn(2, 3, 64, 64, generator=gen)
    maps = smooth_targets(2, 16, 16, gen)
    valid = torch.ones(2, 57)
    rd = torch.zeros(2, 7, 20, 3)
    rd[:, :, :3] = torch.tensor([[3.0, 4.0, 1.2], [10.0, 12.0, 0.8], [7.0, 7.0, 2.0]])
    opt = torch.optim.Adam(det.parameters(), lr=1e-2)
    losses = []
    for _ in range(100):
        loss = detector_loss(det(x), maps, valid, rd, cfg)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert min(losses[-5:]) < losses[0] / 10, (losses[0], losses[-5:])
