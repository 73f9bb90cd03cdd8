import pytest
import torch
import torch.nn.functional as F

from hupor.errors import HuporError
from hupor.nets import (DSED, det_to_maps57, distill_loss, dsed_loss, load_model_config, maps57_to_det,
                        omega_extract)
from hupor.nets.config import ReasonerConfig

TINY = ReasonerConfig(stages=2, blocks=(1, 1, 1, 1), widths=(8, 8, 8, 8), decoder_width=16)


def _maps(b=2, h=16, w=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, 57, h, w, generator=g) * 50


def test_cpu_tiny_shapes_and_structure():
    model, inp = load_model_config("cpu-tiny")
    dsed = DSED(model.reasoner)
    h, w = inp.net_h // 4, inp.net_w // 4  # stride 4 (cpu-tiny)
    x, t = _maps(2, h, w, 0), _maps(2, h, w, 1)
    out = dsed(x, teacher57=t)
    assert len(out.units) == model.reasoner.stages and all(len(u) == 4 for u in out.units)
    for units in out.units:
        for u in units:
            assert u.maps2d.shape == u.maps2d_dec.shape == (2, 43, h, w)
            assert u.z.shape == u.z_dec.shape == (2, 14, h, w)
    assert len(out.distill) == model.reasoner.stages and all(len(p) == 4 for p in out.distill)
    for t_feat, s_feat in out.distill[0]:
        assert t_feat.shape == s_feat.shape
    dsed.eval()
    assert dsed.infer(x).shape == (2, 57, h, w)


def test_paper_config_shapes_on_meta_device():
    model, _ = load_model_config("paper")
    with torch.device("meta"):
        dsed = DSED(model.reasoner)
        out = dsed(torch.empty(1, 57, 128, 208), teacher57=torch.empty(1, 57, 128, 208))
    assert [f[1].shape[1] for f in out.distill[0]] == [228, 512, 1024, 2048]
    assert out.units[-1][-1].maps2d.shape == (1, 43, 128, 208)
    assert len(dsed.teachers) == len(dsed.students) == 2


def test_residual_is_the_detached_input():
    dsed = DSED(TINY)
    x = _maps().requires_grad_(True)
    out = dsed(x, teacher57=_maps(seed=1))
    x2d, xz = maps57_to_det(x.detach())
    for units in out.units:
        for u in units:
            torch.testing.assert_close(u.maps2d - u.maps2d_dec, x2d)
            torch.testing.assert_close(u.z - u.z_dec, xz)
    # no gradient reaches the input through the residual: with the decoder fed by the teacher, the
    # stage-0 student is the only path from x, and it is cut when the loss ignores distillation
    out.units[0][3].maps2d.sum().backward()
    assert x.grad is None or float(x.grad.abs().sum()) == 0.0


def test_infer_uses_the_student_only():
    torch.manual_seed(0)
    dsed = DSED(TINY).eval()
    x = _maps()
    with torch.no_grad():
        before = dsed.infer(x)
        for p in dsed.teachers.parameters():
            p.add_(torch.randn_like(p))
        after = dsed.infer(x)
        torch.testing.assert_close(before, after)
        fed_by_teacher = dsed.fuse(dsed(x, teacher57=_maps(seed=1), use_teacher=True))
        assert not torch.allclose(fed_by_teacher, after)
        for p in dsed.students[0].parameters():
            p.add_(torch.randn_like(p))
        assert not torch.allclose(dsed.infer(x), after)


def test_training_mode_feeds_the_teacher():
    dsed = DSED(TINY).train()
    x, t = _maps(), _maps(seed=1)
    with pytest.raises(HuporError, match="teacher57 is None"):
        dsed(x)
    torch.manual_seed(0)
    a = dsed(x, teacher57=t).units[-1][-1].maps2d
    with torch.no_grad():
        for p in dsed.teachers.parameters():
            p.mul_(1.5)
    b = dsed(x, teacher57=t).units[-1][-1].maps2d
    assert not torch.allclose(a, b)


def test_infer_fuses_mean_of_three_finest_units():
    dsed = DSED(TINY).eval()
    x = _maps()
    with torch.no_grad():
        out = dsed(x, use_teacher=False)
        last = out.units[-1]
        expect = det_to_maps57((last[1].maps2d + last[2].maps2d + last[3].maps2d) / 3, last[3].z)
        torch.testing.assert_close(dsed.infer(x), expect)


def test_hg_kind_has_no_teacher():
    cfg = ReasonerConfig(kind="hg", stages=2, blocks=(1, 1, 1, 1), widths=(8, 8, 8, 8), decoder_width=16)
    hg = DSED(cfg).train()
    assert hg.teachers is None and not any("teacher" in k for k in hg.state_dict())
    out = hg(_maps(), teacher57=_maps(seed=1))
    assert out.distill == [[], []]
    terms = dsed_loss(out, _maps().unsqueeze(1).repeat(1, 5, 1, 1, 1), None, None, 1.0, cfg)
    assert float(terms["distill"]) == 0.0
    with pytest.raises(HuporError, match="no teacher"):
        hg(_maps(), use_teacher=True)


def test_distillation_detaches_the_teacher():
    one = ReasonerConfig(stages=1, blocks=(1, 1, 1, 1), widths=(8, 8, 8, 8), decoder_width=16)
    for cfg in (one, TINY):
        dsed = DSED(cfg).train()
        out = dsed(_maps(), teacher57=_maps(seed=1))
        distill_loss(out).backward()
        # the last stage's teacher feeds no student, so any gradient would come through its own
        # (detached) term; earlier teachers may only get gradient via later students' inputs
        assert all(p.grad is None or float(p.grad.abs().sum()) == 0.0 for p in dsed.teachers[-1].parameters())
        assert sum(float(p.grad.abs().sum()) for p in dsed.students[-1].parameters() if p.grad is not None) > 0
    # the reconstruction loss does reach the teacher (through the decoder)
    dsed.zero_grad()
    out = dsed(_maps(), teacher57=_maps(seed=1))
    out.units[-1][-1].maps2d.pow(2).mean().backward()
    assert any(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in dsed.teachers[-1].parameters())


def test_supervised_blocks_switch():
    dsed = DSED(TINY).train()
    out = dsed(_maps(), teacher57=_maps(seed=1))
    per_block = [float((s - t).detach().pow(2).mean()) for t, s in out.distill[0]]
    per_block2 = [float((s - t).detach().pow(2).mean()) for t, s in out.distill[1]]
    for blocks in [(1, 2, 3, 4), (4,), (1, 4), (2, 3)]:
        expect = sum(per_block[b - 1] + per_block2[b - 1] for b in blocks)
        assert distill_loss(out, blocks).item() == pytest.approx(expect, rel=1e-5)
    # S-1 only: no distillation gradient reaches the deeper student layers of stage 0
    dsed.zero_grad()
    distill_loss(out, (1,)).backward(retain_graph=True)
    deep = [p.grad for p in dsed.students[0].layers[1:].parameters()]
    assert all(g is None or float(g.abs().sum()) == 0.0 for g in deep)
    dsed.zero_grad()
    distill_loss(out, (4,)).backward()
    assert float(sum(p.grad.abs().sum() for p in dsed.students[0].layers[3].parameters())) > 0


def test_omega_schedule():
    assert omega_extract(0, 1000) == 0.0
    assert omega_extract(125, 1000) == pytest.approx(0.5)
    assert omega_extract(250, 1000) == 1.0
    assert omega_extract(900, 1000) == 1.0
    assert omega_extract(100, 1000, omega_max=2.0, ramp_fraction=0.5) == pytest.approx(0.4)
    assert omega_extract(0, 1000, ramp_fraction=0.0) == 1.0
    with pytest.raises(HuporError, match="total_steps"):
        omega_extract(0, 0)


def test_tiny_dsed_overfits_one_batch():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    cfg = ReasonerConfig(stages=2, blocks=(1, 1, 1, 1), widths=(8, 8, 8, 8), decoder_width=16, head_bn=False)
    dsed = DSED(cfg).train()
    # same field at every level, so the input level matches every target level (the occ and all
    # terms can then both reach 0); bilinear 2×2 fields every unit can represent
    low = torch.rand(2, 57, 2, 2, generator=g).repeat_interleave(5, 0)
    scale = torch.full((57,), 255.0)
    scale[15:] = torch.tensor([127.0, -127.0, 10.0]).repeat(14)
    maps_all = F.interpolate(low, size=(16, 16), mode="bilinear", align_corners=True).view(2, 5, 57, 16, 16)
    maps_all = maps_all * scale.view(1, 1, 57, 1, 1)
    keep = (torch.rand(2, 1, 57, 1, 1, generator=g) > 0.3).float()
    maps_vis = maps_all * keep
    maps_occ = maps_all - maps_vis
    x = maps_vis[:, 2]
    opt = torch.optim.Adam(dsed.parameters(), lr=3e-2)
    losses = []
    for _ in range(70):
        terms = dsed_loss(dsed(x, teacher57=maps_all[:, 3]), maps_all, maps_occ, None, 1.0, cfg)
        opt.zero_grad()
        terms["total"].backward()
        opt.step()
        losses.append(terms["total"].item())
    assert min(losses[-5:]) < losses[0] / 10, (losses[0], losses[-5:])


@pytest.mark.parametrize("stride", [4, 2])
def test_image_input_reads_the_image(stride):
    """model.reasoner.image_input (supplement Table 6): image features join the maps; the image changes
    the output; a missing or mis-sized image is a clear error."""
    from dataclasses import replace

    cfg = replace(TINY, image_input=True, image_width=4)
    dsed = DSED(cfg, stride=stride).eval()
    h, w = 16, 32
    x, t = _maps(2, h, w, 0), _maps(2, h, w, 1)
    img = torch.randn(2, 3, h * stride, w * stride)
    with torch.no_grad():
        a = dsed.infer(x, image=img)
        b = dsed.infer(x, image=img.flip(-1))
        out = dsed(x, teacher57=t, image=img)
    assert a.shape == (2, 57, h, w) and not torch.allclose(a, b)
    assert len(out.distill[0]) == 4
    with pytest.raises(HuporError, match="image_input"):
        dsed.infer(x)
    with pytest.raises(HuporError, match="do not match"):
        dsed.infer(x, image=img[..., :-32])
    plain = DSED(TINY, stride=stride).eval()
    with torch.no_grad():
        assert torch.equal(plain.infer(x, image=img), plain.infer(x))          # read only with image_input
