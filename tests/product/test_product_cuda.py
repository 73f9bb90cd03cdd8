"""``Predictor(device="cuda")``: marked ``gpu`` (``pytest -m gpu`` on a CUDA machine runs just this), and
it always runs and always asserts: without CUDA the clear one-line refusal, with CUDA the bundled model
on the GPU giving the CPU's maps and people."""

import numpy as np
import pytest
import torch

from hupor.cli.demo import make_scene, scene_metrics
from hupor.errors import HuporError
from hupor.predictor import Predictor


@pytest.mark.gpu
def test_predictor_on_cuda_matches_cpu_or_refuses_clearly(monkeypatch):
    if not torch.cuda.is_available():
        with pytest.raises(HuporError, match=r"^device 'cuda': CUDA is not available here; use --device cpu$"):
            Predictor(device="cuda")
        with pytest.raises(HuporError, match="CUDA is not available"):
            Predictor(device="cuda:0")
        return
    # fp32 on both (no TF32 convolutions, torch runtime): the GPU must reproduce the CPU's numbers up to
    # float reordering (~1e-5 relative); 0.5 on the 0-255 heatmap scale is 0.2 % of a peak
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    img, rec, _ = make_scene(0, 0, sample=True)
    cpu = Predictor(device="cpu", runtime="torch", precision="fp32")
    gpu = Predictor(device="cuda", runtime="torch", precision="fp32")
    assert gpu.method.device.type == "cuda" and cpu.method.device.type == "cpu"
    p = cpu.codec_params
    net_in = np.random.default_rng(0).integers(0, 256, (2, p.net_h, p.net_w, 3), dtype=np.uint8)
    atol = {"maps57": 0.5, "det_heat": 0.5 / 255, "root_depth": 1e-3}   # raw scales; root: Z_cm / (fx·s)
    for rc, rg in zip(cpu.method.infer(net_in), gpu.method.infer(net_in)):
        for key, tol in atol.items():
            np.testing.assert_allclose(rg[key], rc[key], atol=tol, rtol=1e-3, err_msg=key)
    pc, pg = cpu(img, K=rec.intrinsics), gpu(img, K=rec.intrinsics)
    mc, mg = scene_metrics(pc, rec), scene_metrics(pg, rec)
    assert mg["matched"] == mc["matched"] == rec.num_persons
    assert abs(pg.num_persons - pc.num_persons) <= 1                  # a peak at the threshold may flip
    assert mg["mpjpe_rel_mm"] == pytest.approx(mc["mpjpe_rel_mm"], rel=0.05)
