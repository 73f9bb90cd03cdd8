"""The synthetic benchmark: deterministic splits, root-depth maps, and a row's evaluation."""

import numpy as np
import pytest

from hupor.bench import BenchSpec, METRIC_KEYS, evaluate_predictions, gt_root_depth, prepare_scenes, split_scenes
from hupor.bench.runners import predict, reasoner_config
from hupor.data.synth import SceneConfig
from hupor.errors import HuporError
from hupor.nets import DSED


@pytest.fixture(scope="module")
def spec():
    return BenchSpec(test_scenes=4)


def _same(a, b):
    return (a.joints_2d.shape == b.joints_2d.shape and np.array_equal(a.joints_2d, b.joints_2d)
            and np.array_equal(a.joints_3d, b.joints_3d) and np.array_equal(a.visibility, b.visibility))


def test_bench_splits_are_deterministic_and_distinct(spec):
    test1, test2 = split_scenes(spec, "test"), split_scenes(spec, "test")
    assert len(test1) == 4
    assert all(_same(test1[i], test2[i]) for i in range(4))
    motion = test1.motion
    tr0 = split_scenes(spec, "train", 0, motion)
    assert _same(tr0[3], split_scenes(spec, "train", 0, motion)[3])
    assert not _same(tr0[3], split_scenes(spec, "train", 1, motion)[3])
    assert not _same(split_scenes(spec, "val", motion=motion)[0], split_scenes(spec, "refine", motion=motion)[0])
    # the test split is the heavy-occlusion one: at least 2 people and many occluded joints
    recs = [test1[i] for i in range(4)]
    assert all(r.num_persons >= 2 for r in recs)
    vis = np.concatenate([r.visibility.ravel() for r in recs])
    assert (vis == 1).sum() > 0.25 * (vis >= 1).sum()
    with pytest.raises(HuporError, match="split"):
        split_scenes(spec, "bogus")
    with pytest.raises(HuporError, match="network input"):
        BenchSpec(test_scene=SceneConfig(width=320, height=160))


def test_bench_gt_root_depth_paints_visible_joints_and_fills_nearest():
    t = np.zeros((7, 20, 3))
    t[2, 0] = (5, 6, 0.8)   # pelvis of person 0 at row 5, col 6
    t[2, 1] = (5, 8, 0.5)   # a nearer pelvis two pixels right: wins the overlapping disk pixels
    rd = gt_root_depth(t, 16, 24, focal_net=300.0, radius=1)
    assert rd.shape == (7, 16, 24)
    assert rd[2, 5, 6] == pytest.approx(0.8) and rd[2, 5, 8] == pytest.approx(0.5)
    assert rd[2, 5, 7] == pytest.approx(0.5)          # overlap: nearer person painted last
    assert rd[2, 15, 0] == pytest.approx(0.8) and rd[2, 15, 23] == pytest.approx(0.5)  # nearest fill
    assert np.allclose(rd[0], (4 * 0.8 + 5 * 0.5) / 9)  # no visible neck: mean of all painted pixels
    with pytest.raises(HuporError):
        gt_root_depth(np.zeros((7, 3)), 16, 24, 300.0)


def test_bench_row_evaluation_has_all_metric_keys(spec):
    ds = split_scenes(spec, "test")
    recs = [ds[i] for i in range(4)]
    scenes = prepare_scenes(spec, recs)
    codec = spec.codec()
    # no reasoning on perfect visible maps: visible joints of matched people are mostly exact (a visible
    # joint below an undetected occluded parent is a miss after the bone-length mapping)
    m = evaluate_predictions(recs, predict(scenes, codec), spec.match_px)
    for mode in ("matched", "all"):
        assert set(METRIC_KEYS) <= set(m[mode])
    assert m["matched"]["matched"] > 0 and m["matched"]["pck_vis"] > 60.0
    assert m["matched"]["mpjpe_rel"] is not None and m["all"]["mpjpe_rel"] is None
    assert m["all"]["instances"] == sum(r.num_persons for r in recs)
    # a (randomly initialised) reasoner row runs through the same path and yields every metric key
    cfg = reasoner_config(spec, "dsed", (1, 4), 0, steps=1)
    assert cfg.model.reasoner.supervised_blocks == (1, 4)
    net = DSED(cfg.model.reasoner).eval()
    m2 = evaluate_predictions(recs, predict(scenes, codec, net), spec.match_px)
    assert set(METRIC_KEYS) <= set(m2["all"])


def test_image_rows_see_the_rendered_test_scenes(spec, tmp_path):
    """Table 6 rows: the test images are the skeleton scenes rendered; an image_input reasoner reads them."""
    from hupor.bench.runners import reason, rendered_split, test_images
    from hupor.nets.config import ReasonerConfig

    ds = split_scenes(spec, "test")
    recs = [ds[i] for i in range(2)]
    imgs = test_images(spec, recs, ds.motion)
    assert imgs.shape == (2, 3, spec.net_h, spec.net_w) and imgs.dtype.is_floating_point
    with pytest.raises(HuporError, match="differs"):
        test_images(spec, recs[::-1], ds.motion)
    scenes = prepare_scenes(spec, recs)
    maps = np.stack([s.input57 for s in scenes])
    net = DSED(ReasonerConfig(image_input=True), stride=spec.stride).eval()
    assert reason(net, maps, images=imgs).shape == maps.shape
    with pytest.raises(HuporError, match="image_input"):
        reason(net, maps)
    path = rendered_split(spec, "val", 2, tmp_path / "val")
    assert path.is_file() and rendered_split(spec, "val", 2, tmp_path / "val") == path
    assert len(list((tmp_path / "val" / "images").iterdir())) == 2
