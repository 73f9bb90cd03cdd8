import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from hupor.codec import Codec, CodecParams
from hupor.data.datasets import DetectorDataset, ReasonerDataset, load_records
from hupor.data.transforms import AugmentConfig
from hupor.errors import HuporError
from hupor.skeleton import MPI15

sys.path.insert(0, str(Path(__file__).parents[1] / "train"))
from train_helpers import make_records  # noqa: E402  (tiny records with drawn people)

CODEC = Codec(MPI15, CodecParams(net_w=96, net_h=64))


@pytest.fixture
def records(tmp_path):
    return load_records([make_records(tmp_path / "d", n_images=2)])


def test_detector_item_matches_codec_targets(records):
    ds = DetectorDataset(records, CODEC, augment=None)
    item = ds[0]
    assert item["image"].dtype == torch.uint8 and item["image"].shape == (3, 64, 96)
    assert item["maps"].shape == (5, 57, 16, 24)
    assert item["root_depth"].shape == (7, 20, 3) and item["valid"].shape == (57,)
    rec = records[0]
    s = min(96 / rec.width, 64 / rec.height)
    # visible-only heatmaps: the occluded joint (person 0, joint 5) has no peak near its position
    x, y = (rec.joints_2d[0, 5] * s + [(96 - rec.width * s) / 2, (64 - rec.height * s) / 2]) / 4
    hm = item["maps"][4, 5].numpy()
    assert hm[int(y), int(x)] < 50
    assert hm.max() > 200  # person 1's visible wrist
    # the drawn people are where the targets are: bright image pixels under the neck heatmap peak
    r, c = np.unravel_index(item["maps"][4, 0].numpy().argmax(), (16, 24))
    patch = item["image"][:, 4 * r:4 * r + 4, 4 * c:4 * c + 4].float().mean()
    assert patch > 60


def test_augmented_items_vary_and_missing_image_raises(records, tmp_path):
    ds = DetectorDataset(records, CODEC, augment=AugmentConfig(jitter_px=8))
    torch.manual_seed(0)
    a, b = ds[0]["maps"], ds[0]["maps"]
    assert not torch.equal(a, b)
    records.records[1].path = str(tmp_path / "gone.png")
    with pytest.raises(HuporError, match="gone.png"):
        ds[1]


def test_reasoner_item_splits_visible_and_occluded(records):
    ds = ReasonerDataset(records.records, CODEC, MPI15, augment=None, teacher_level=3)
    item = ds[0]
    lvl = item["level"]
    assert item["input"].shape == (57, 16, 24) and item["all"].shape == (5, 57, 16, 24)
    torch.testing.assert_close(item["teacher"], item["all"][3])
    # joint 5 of person 0 is occluded: absent from the input, present in "all" and "occ"
    assert item["occ"][lvl, 5].max() > 200 and item["all"][lvl, 5].max() > 200
    assert item["input"][5].max() > 200  # person 1's visible joint 5
    occ_peak = np.unravel_index(item["occ"][lvl, 5].numpy().argmax(), (16, 24))
    assert item["input"][5][occ_peak] < 50
    # visible joints are identical in input and "all" at the input level
    torch.testing.assert_close(item["input"][0], item["all"][lvl, 0])


def test_load_records_errors(tmp_path):
    with pytest.raises(HuporError, match="no such file"):
        load_records([str(tmp_path / "none.json")])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "hupor-records", "version": 1, "images": [{"path": "a"}]}))
    with pytest.raises(HuporError, match="missing field"):
        load_records([str(bad)])
    with pytest.raises(HuporError, match="no records"):
        load_records([])


def test_detector_crops_are_windows_of_the_full_input(records):
    """A crop item equals the matching window of the uncropped item (same scale, same targets)."""
    codec = Codec(MPI15, CodecParams(net_w=192, net_h=128))
    aug = dict(rotation_deg=0.0, jitter_px=0.0, flip_prob=0.0, scale_min=1.0, scale_max=1.0)
    full = DetectorDataset(records, codec, AugmentConfig(**aug))[(0, 7)]
    crop = DetectorDataset(records, codec, AugmentConfig(crop_w=96, crop_h=64, **aug))[(0, 7)]
    assert crop["image"].shape == (3, 64, 96) and crop["maps"].shape == (5, 57, 16, 24)
    img, fimg = crop["image"].numpy(), full["image"].numpy()
    hits = [(y, x) for y in range(0, 65, 4) for x in range(0, 97, 4)
            if np.array_equal(fimg[:, y:y + 64, x:x + 96], img)]
    assert len(hits) == 1                                  # the window, at a multiple of the stride
    y, x = hits[0]
    window = full["maps"][4, :15, y // 4:y // 4 + 16, x // 4:x // 4 + 24].numpy()
    peaks = [j for j in range(15) if crop["maps"][4, j].max() > 150]
    assert peaks                                           # the window holds a person
    for j in peaks:                                        # each joint's peak where the full input has it
        a = np.unravel_index(crop["maps"][4, j].numpy().argmax(), (16, 24))
        b = np.unravel_index(window[j].argmax(), (16, 24))
        assert np.abs(np.subtract(a, b)).max() <= 1, j
    with pytest.raises(HuporError, match="data.augment.crop_w"):
        DetectorDataset(records, codec, AugmentConfig(crop_w=100, crop_h=64))
