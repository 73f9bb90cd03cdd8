"""The 2D plug-ins' base stage in the shared training loop: samples, a short run, the bundle."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from hupor.data.datasets import load_records
from hupor.data.transforms import AugmentConfig
from hupor.errors import HuporError
from hupor.nets import load_bundle
from hupor.plugins.data import PluginDataset, paf2d_targets
from hupor.plugins.higherhrnet import HigherHRNet
from hupor.plugins.pifpaf import PifPaf
from hupor.train.config import load_experiment
from hupor.train.run import run_stage
sys.path.insert(0, str(Path(__file__).parents[1] / "train"))
from train_helpers import make_records  # noqa: E402  (tiny records with drawn people)

TINY = {"higherhrnet": ["model.higherhrnet.hrnet.width=4", "model.higherhrnet.hrnet.stem_width=8",
                        "model.higherhrnet.deconv_blocks=0"],
        "pifpaf": ["model.pifpaf.backbone.width=4", "model.pifpaf.backbone.stem_width=8",
                   "model.pifpaf.backbone.layers=[1,1,1,1]"]}


def test_samples_hold_the_method_targets(tmp_path):
    recs = load_records([make_records(tmp_path / "d", n_images=2, width=128, height=96)])
    pif = PluginDataset(recs, "pifpaf", "crowdpose14", 128, 96, stride=8)[(0, 1)]
    assert pif["image"].shape == (3, 96, 128) and pif["pif_c"].shape == (14, 12, 16)
    assert pif["paf_vec"].shape == (13, 2, 2, 12, 16) and pif["pif_c"].sum() > 0
    hh = PluginDataset(recs, "higherhrnet", "crowdpose14", 128, 96)[(0, 1)]
    assert hh["heat_lo"].shape == (14, 24, 32) and hh["heat_hi"].shape == (14, 48, 64)
    assert hh["joints"].shape == (20, 14, 3) and hh["joints"][:, :, 2].any(1).sum() == 2
    assert hh["paf"].shape == (26, 24, 32)
    # visible only: person 0's left wrist (v = 1, CrowdPose joint 4) is absent from the targets
    assert hh["joints"][0, 4, 2] == 0 and hh["joints"][1, 4, 2] == 1
    allj = PluginDataset(recs, "higherhrnet", "crowdpose14", 128, 96, visible_only=False)[(0, 1)]
    assert allj["joints"][0, 4, 2] == 1
    flipped = PluginDataset(recs, "pifpaf", "crowdpose14", 128, 96, augment=AugmentConfig(flip_prob=1.0))[(0, 1)]
    assert flipped["pif_c"].sum() > 0
    with pytest.raises(HuporError, match="plug-in method"):
        PluginDataset(recs, "openpose", "crowdpose14", 128, 96)


def test_paf_targets_are_unit_vectors_along_the_limb():
    xy = np.array([[[10.0, 10.0], [50.0, 10.0]]])
    paf = paf2d_targets(xy, np.array([[True, True]]), [(0, 1)], 4, 64, 32)
    on = np.hypot(paf[0], paf[1]) > 0
    assert on.sum() >= 10 and np.allclose(paf[0][on], 1.0) and np.allclose(paf[1][on], 0.0)


@pytest.mark.parametrize("method, cls", [("pifpaf", PifPaf), ("higherhrnet", HigherHRNet)])
def test_a_short_run_writes_a_bundle_of_the_method(tmp_path, method, cls):
    data = make_records(tmp_path / "d", n_images=4, width=128, height=96)
    cfg = load_experiment(f"{method}-cpu", TINY[method] + [
        "input.net_w=128", "input.net_h=96", f"data.train=[{data}]", f"data.val=[{data}]",
        "train.detector.steps=3", "train.detector.batch_size=2", "train.checkpoint_every=3",
        "train.log_every=1", "train.progress_bar=false", "train.threads=1"])
    res = run_stage("detector", cfg, tmp_path / "run")
    assert res.global_step == 3 and np.isfinite(res.metrics["val/loss"])
    b = load_bundle(res.bundle)
    assert b.method == method and isinstance(b.detector, cls)
    trained = torch.load(res.weights, weights_only=True)["state_dict"]
    assert all(torch.equal(v, b.detector.state_dict()[k]) for k, v in trained.items())


def test_plugin_skeleton_and_reasoner_targets():
    from hupor.plugins.reason import maps57_to_fields, plugin_skeleton, reasoner_targets

    sk = plugin_skeleton("crowdpose14")
    assert sk.joints[sk.flip[0]] == "r_shoulder" and sk.joints[sk.flip[12]] == "head"
    assert sk.num_limbs == 13 and sk.root == 13
    xy = np.array([[[60.0, 40.0], [80.0, 40.0], [55, 60], [85, 60], [50, 80], [90, 80], [62, 80], [78, 80],
                    [62, 110], [78, 110], [62, 140], [78, 140], [70, 15], [70, 30]]])
    vis = np.full((1, 14), 2)
    vis[0, 4] = 1                                                    # left wrist occluded
    t = reasoner_targets(xy, vis, "crowdpose14", 160, 160)
    assert t["all"].shape == (5, 14 + 39, 40, 40) and t["valid"][14 + 2::3].sum() == 0
    heat, paf = maps57_to_fields(torch.from_numpy(t["occ"][:1]), sk)
    assert heat[0, 4].max() == pytest.approx(1.0) and heat[0, [0, 1, 2, 3, 5]].max() == 0
    forearm = sk.limbs.index((2, 4))
    assert paf[0, 2 * forearm:2 * forearm + 2].abs().max() > 0.9 and paf[0, :2 * forearm].abs().max() == 0


@pytest.mark.parametrize("method, kind", [("pifpaf", "dsed"), ("higherhrnet", "hg")])
def test_the_reasoner_trains_on_the_frozen_base_network(tmp_path, method, kind):
    data = make_records(tmp_path / "d", n_images=4, width=128, height=96)
    common = TINY[method] + ["input.net_w=128", "input.net_h=96", f"data.train=[{data}]", f"data.val=[{data}]",
                             "train.batch_size=2", "train.checkpoint_every=2", "train.progress_bar=false"]
    common = [c for c in common if c != "train.batch_size=2"]
    base = run_stage("detector", load_experiment(f"{method}-cpu", common + [
        "train.detector.steps=2", "train.detector.batch_size=2"]), tmp_path / "base")
    cfg = load_experiment(f"{method}-cpu", common + [
        "train.reasoner.steps=2", "train.reasoner.batch_size=2", f"model.reasoner.kind={kind}",
        "model.reasoner.widths=[8,8,8,8]", "model.reasoner.decoder_width=8"])
    with pytest.raises(HuporError, match="--bundle"):
        run_stage("reasoner", cfg, tmp_path / "none")
    res = run_stage("reasoner", cfg, tmp_path / "rea", base_bundle=base.bundle)
    assert res.global_step == 2 and np.isfinite(res.metrics["val/loss"])
    b = load_bundle(res.bundle)
    assert b.method == method and b.reasoner is not None and b.reasoner.skeleton.name == "crowdpose14"
    assert all(torch.equal(v, b.detector.state_dict()[k]) for k, v in load_bundle(base.bundle).detector.state_dict().items())


@pytest.mark.parametrize("kind", ["dsed", "hg"])
def test_plugin_reasoner_overfits_one_batch(kind):
    """The reasoner of both plug-ins (DSED / Hg on the CrowdPose-14 skeleton, z masked) learns one batch."""
    from hupor.nets import DSED, dsed_loss
    from hupor.nets.config import ReasonerConfig
    from hupor.plugins.reason import plugin_skeleton, reasoner_targets
    from plugin_helpers import overfit_ratio

    torch.manual_seed(0)
    sk = plugin_skeleton("crowdpose14")
    cfg = ReasonerConfig(kind=kind, stages=1, blocks=(1, 1, 1, 1), widths=(8, 8, 8, 8), decoder_width=8,
                         head_bn=False)
    net = DSED(cfg, sk, 4)
    xy = np.array([[[60.0, 40.0], [80.0, 40.0], [55, 60], [85, 60], [50, 80], [90, 80], [62, 80], [78, 80],
                    [62, 110], [78, 110], [62, 140], [78, 140], [70, 15], [70, 30]]])
    vis = np.full((1, 14), 2)
    vis[0, [4, 9, 11]] = 1
    t = reasoner_targets(xy, vis, "crowdpose14", 128, 160)
    vis_only = reasoner_targets(xy, np.where(vis == 2, 2, 0), "crowdpose14", 128, 160)["all"][0]
    x = torch.from_numpy(vis_only[None]).float()
    lab = {k: torch.from_numpy(v[None]).float() for k, v in t.items()}

    def loss(n):
        out = n(x, lab["teacher"] if kind == "dsed" else None)
        return dsed_loss(out, lab["all"], lab["occ"], lab["valid"], 1.0, cfg, sk)["total"]

    assert overfit_ratio(net, loss, steps=150, lr=1e-2) < 0.3


def test_train_plugin_runs_both_stages(tmp_path, capsys):
    from hupor.cli.main import main

    data = make_records(tmp_path / "d", n_images=4, width=128, height=96)
    common = TINY["higherhrnet"] + ["input.net_w=128", "input.net_h=96", f"data.train=[{data}]",
                                    "train.progress_bar=false", "train.detector.steps=2", "train.detector.batch_size=2",
                                    "train.reasoner.steps=2", "train.reasoner.batch_size=2",
                                    "model.reasoner.widths=[8,8,8,8]", "model.reasoner.decoder_width=8"]
    assert main(["train", "plugin", "--method", "higherhrnet", "--reasoner", "hg", "--out", str(tmp_path / "r")]
                + common) == 0
    b = load_bundle(tmp_path / "r" / "reasoner-hg" / "bundle.pt")
    assert b.method == "higherhrnet" and b.reasoner.cfg.kind == "hg"
    assert main(["train", "plugin", "--method", "pifpaf", "--config", "higherhrnet-cpu", "--out",
                 str(tmp_path / "x")] + common) == 2
    assert "model.method" in capsys.readouterr().err
