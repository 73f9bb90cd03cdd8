"""SSF's shape networks end to end: training run, shape.pt round trip, fitting people of a rendered
scene, the label path with a shape model, and the CLI."""

import numpy as np
import pytest
import torch

from hupor.data.synth import SceneConfig, load_motion_library, render_scene
from hupor.errors import HuporError
from hupor.ssf.fit import ShapeFitter
from hupor.ssf.labels2d import label_people_2d
from hupor.ssf.train import ShapeTrainConfig, load_shape, train_shape

TINY = dict(scenes=6, val_scenes=2, steps=3, batch_size=4, checkpoint_every=3, opt_width=4, sil_size=16, crop=32,
            joints_input=True)


@pytest.fixture(scope="module")
def shape_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("ssf")
    res = train_shape(ShapeTrainConfig(**TINY), out)
    return out, res


@pytest.fixture(scope="module")
def scene():
    img, rec, maps = render_scene(SceneConfig(width=416, height=256, min_people=2, max_people=4), 9660, 1,
                                  load_motion_library(), maps=True)
    raw = maps.ids.astype(np.int64)
    ids = np.where(raw == -1, 0, np.where(raw == -2, 1, raw + 2))
    return img, rec, ids, np.asarray(rec.meta["person_index"]) + 2


def test_training_writes_a_model_that_loads_and_refuses_a_second_run(shape_model):
    out, res = shape_model
    assert res["train_crops"] > 5 and np.isfinite(res["metrics"]["val/total"])
    cfg, init_net, opt_net = load_shape(res["shape"])
    assert cfg == ShapeTrainConfig(**TINY) and not init_net.training
    c2, i2, _ = load_shape(out / "checkpoints" / "last.ckpt")             # a run's checkpoint loads too
    assert c2 == cfg and all(torch.equal(a, b) for a, b in zip(i2.state_dict().values(), init_net.state_dict().values()))
    with pytest.raises(HuporError, match="holds a run"):
        train_shape(ShapeTrainConfig(**TINY), out)
    torch.save({"state_dict": {}}, out / "other.pt")
    with pytest.raises(HuporError, match="not an SSF shape model"):
        load_shape(out / "other.pt")


def test_fitter_places_croppable_people_and_the_fit_lowers_the_2d_error(shape_model, scene):
    img, rec, ids, pid = scene
    lab = rec.visibility > 0
    lab[0] = False                                                     # a person with no 2D label
    errs = []
    for steps in (0, 40):
        j3 = ShapeFitter(shape_model[1]["shape"], refine_steps=steps).fit(img, ids, rec.joints_2d, lab, pid,
                                                                          rec.intrinsics)
        assert j3.shape == rec.joints_3d.shape and np.isnan(j3[0]).all()
        placed = np.isfinite(j3).all((1, 2))
        assert placed[1:].any()
        uv = rec.intrinsics.project(j3[placed].reshape(-1, 3)).reshape(-1, 15, 2)
        m = lab[placed]
        errs.append(np.linalg.norm(uv - rec.joints_2d[placed], axis=-1)[m].mean())
    assert errs[1] < 0.8 * errs[0]


def test_the_label_path_uses_the_shape_model(shape_model, scene):
    img, rec, ids, pid = scene
    fitter = ShapeFitter(shape_model[1]["shape"])
    vis, cause = label_people_2d(rec.joints_2d, rec.visibility > 0, rec.intrinsics, 416, 256, ids, pid,
                                 fitter=fitter, image=img)
    m = rec.visibility > 0
    assert vis.shape == rec.visibility.shape and (vis[~m] == 0).all() and set(np.unique(vis[m])) <= {1, 2}
    with pytest.raises(HuporError, match="needs the record's image"):
        label_people_2d(rec.joints_2d, m, rec.intrinsics, 416, 256, ids, pid, fitter=fitter)


def test_cli_train_and_label_with_the_shape_model(tmp_path, shape_model, capsys):
    import cv2

    from hupor.cli.main import main
    from hupor.records import RecordSet

    overrides = [f"{k}={v}" for k, v in TINY.items()]
    assert main(["train", "ssf", "--out", str(tmp_path / "run"), *overrides]) == 0
    assert (tmp_path / "run" / "shape.pt").is_file()
    assert main(["train", "ssf", "--out", str(tmp_path / "bad"), "steps=0"]) == 2
    assert "steps" in capsys.readouterr().err
    img, rec, ids, pid = scene_record(tmp_path)
    assert main(["ssf", "--records", str(tmp_path / "r.json"), "--out", str(tmp_path / "o.json"),
                 "--shape-model", str(tmp_path / "run" / "shape.pt"), "--refine-steps", "2"]) == 0
    out = RecordSet.load(tmp_path / "o.json")[0]
    assert out.meta["labels"] == "ssf-shape+mask"
    assert main(["ssf", "--records", str(tmp_path / "r.json"), "--out", str(tmp_path / "p.json"),
                 "--refine-steps", "2"]) == 2


def scene_record(tmp_path):
    """A rendered scene written as a 2D-only record with its image and instance-id PNG."""
    import dataclasses

    import cv2

    from hupor.records import RecordSet

    img, rec, maps = render_scene(SceneConfig(width=416, height=256, min_people=2, max_people=3), 9661, 0,
                                  load_motion_library(), maps=True)
    raw = maps.ids.astype(np.int64)
    ids = np.where(raw == -1, 0, np.where(raw == -2, 1, raw + 2)).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "img.png"), img)
    cv2.imwrite(str(tmp_path / "ids.png"), ids)
    rec2 = dataclasses.replace(rec, path="img.png", mask="ids.png", has_3d=False, joints_3d=np.zeros_like(rec.joints_3d))
    RecordSet([rec2], dataset="synth", root=tmp_path).save(tmp_path / "r.json")
    return img, rec, ids, np.asarray(rec.meta["person_index"]) + 2
