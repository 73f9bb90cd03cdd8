"""SSF labels with the 3D withheld (2D joints + instance mask): the label rule on hand-built masks
and agreement with the generator on rendered scenes."""

import numpy as np
import pytest

from hupor.camera import Intrinsics
from hupor.data.synth import SceneConfig, load_motion_library, render_scene
from hupor.errors import HuporError
from hupor.records import CAUSE_CODE
from hupor.ssf.labels2d import label_people_2d


def _standing(x0, y0=40.0, s=1.0):
    """A standing person's 15 MPI15 joints (px), facing the camera, about 140 px tall."""
    t = np.array([[0, 0], [0, -25], [0, 55], [18, 2], [24, 30], [26, 55], [10, 55], [10, 95], [10, 135],
                  [-18, 2], [-24, 30], [-26, 55], [-10, 55], [-10, 95], [-10, 135]], float)
    return t * s + [x0, y0]


K = Intrinsics(300.0, 300.0, 160.0, 100.0)


def test_a_person_behind_another_and_side_by_side():
    xy = np.stack([_standing(100), _standing(104), _standing(230)])
    ids = np.zeros((200, 320), np.int64)
    ids[10:190, 70:135] = 2                          # person 0 in front covers person 1 entirely
    ids[10:190, 195:265] = 4                         # person 2 on its own
    vis, cause = label_people_2d(xy, np.ones((3, 15), bool), K, 320, 200, ids, [2, 3, 4])
    assert (vis[1] == 1).all() and (cause[1] == CAUSE_CODE["person"]).all()
    assert (vis[[0, 2]] == 2).sum() >= 28             # the front and the lone person: visible (self aside)
    ids[:, 150:170] = 1                              # an occluder between them hides nobody
    vis2, _ = label_people_2d(xy, np.ones((3, 15), bool), K, 320, 200, ids, [2, 3, 4])
    assert (vis2 == vis).all()
    ids[10:190, 195:265] = 1                         # ... then in front of person 2
    vis3, cause3 = label_people_2d(xy, np.ones((3, 15), bool), K, 320, 200, ids, [2, 3, 4])
    assert (vis3[2] == 1).all() and (cause3[2] == CAUSE_CODE["object"]).all()
    out = xy.copy()
    out[2, 8] = [400.0, 190.0]                       # a joint outside the image
    vis4, cause4 = label_people_2d(out, np.ones((3, 15), bool), K, 320, 200, ids, [2, 3, 4])
    assert vis4[2, 8] == 0 and cause4[2, 8] == CAUSE_CODE["truncated"]
    with pytest.raises(HuporError, match="shape"):
        label_people_2d(xy, np.ones((3, 15), bool), K, 320, 200, ids[:-1], [2, 3, 4])


def test_rendered_scenes_agree_with_the_generator():
    lib = load_motion_library()
    cfg = SceneConfig(width=416, height=256, min_people=2, max_people=5)
    agree = total = self_found = self_total = 0
    for i in range(12):
        _, rec, maps = render_scene(cfg, 9651, i, lib, maps=True)
        raw = maps.ids.astype(np.int64)
        ids = np.where(raw == -1, 0, np.where(raw == -2, 1, raw + 2))
        pid = np.asarray(rec.meta["person_index"]) + 2
        vis, cause = label_people_2d(rec.joints_2d, rec.visibility > 0, rec.intrinsics, 416, 256, ids, pid)
        m = rec.visibility > 0
        agree += int((vis[m] == rec.visibility[m]).sum())
        total += int(m.sum())
        s = m & (rec.cause == CAUSE_CODE["self"])
        self_found += int((vis[s] == 1).sum())
        self_total += int(s.sum())
    assert total > 300 and agree / total > 0.9
    assert self_total > 10 and self_found / self_total > 0.6        # self-occlusion from the lifted body


def test_coco_polygons_become_the_instance_mask(tmp_path, capsys):
    """hupor convert coco keeps each person's polygons (meta.segmentation); hupor ssf reads them as
    the instance mask: the person whose visible outline covers another's joints hides them."""
    import json

    from hupor.cli.main import main
    from hupor.records import RecordSet

    def coco_kp(x0):
        xy = {5: (x0 + 20, 60), 6: (x0 - 20, 60), 7: (x0 + 26, 95), 8: (x0 - 26, 95), 9: (x0 + 28, 130),
              10: (x0 - 28, 130), 11: (x0 + 12, 140), 12: (x0 - 12, 140), 13: (x0 + 12, 200), 14: (x0 - 12, 200),
              15: (x0 + 12, 260), 16: (x0 - 12, 260), 0: (x0, 30)}
        kp = [0.0] * 51
        for j, (x, y) in xy.items():
            kp[3 * j:3 * j + 3] = [x, y, 2]
        return kp

    front = [[60, 10, 140, 10, 140, 280, 60, 280]]                  # the front person's whole outline
    back = [[141, 10, 200, 10, 200, 280, 141, 280]]                 # only the back person's right side shows
    gt = {"images": [{"id": 1, "width": 320, "height": 300, "file_name": "000001.jpg"}],
          "annotations": [
              {"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "num_keypoints": 13, "keypoints": coco_kp(100),
               "segmentation": front, "bbox": [60, 10, 80, 270], "area": 20000},
              {"id": 2, "image_id": 1, "category_id": 1, "iscrowd": 0, "num_keypoints": 13, "keypoints": coco_kp(150),
               "segmentation": back, "bbox": [100, 10, 100, 270], "area": 20000}],
          "categories": [{"id": 1, "name": "person"}]}
    (tmp_path / "person_keypoints_val2017.json").write_text(json.dumps(gt))
    assert main(["convert", "coco", str(tmp_path / "person_keypoints_val2017.json"), "--out", str(tmp_path / "r.json")]) == 0
    rec = RecordSet.load(tmp_path / "r.json")[0]
    assert rec.meta["segmentation"] == [front, back]
    assert main(["ssf", "--records", str(tmp_path / "r.json"), "--out", str(tmp_path / "o.json")]) == 0
    out = RecordSet.load(tmp_path / "o.json")[0]
    assert out.meta["labels"] == "ssf-2d+mask"
    l_shoulder, r_shoulder = 3, 9                                   # MPI15: the back person's left is at x 170
    assert out.visibility[1, r_shoulder] == 1 and out.cause[1, r_shoulder] == CAUSE_CODE["person"]
    assert out.visibility[1, l_shoulder] == 2 and out.visibility[0, l_shoulder] == 2
