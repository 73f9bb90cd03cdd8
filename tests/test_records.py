import json

import numpy as np
import pytest

from hupor.camera import Intrinsics
from hupor.errors import HuporError
from hupor.records import ImageRecord, RecordSet, from_smap, to_smap


def _record(rng, n=2):
    K = Intrinsics(1497.7, 1497.1, 1024.7, 1051.4)
    j3 = np.stack([rng.uniform(-500, 500, (n, 15)), rng.uniform(-800, 800, (n, 15)),
                   rng.uniform(3000, 6000, (n, 15))], -1)
    vis = rng.integers(0, 3, (n, 15))
    cause = np.where(vis == 1, 1, 0)
    return ImageRecord("images/a.jpg", 2048, 2048, K, K.project(j3), j3, vis, cause, True, {"split": "test"})


def test_json_roundtrip(tmp_path, rng):
    rs = RecordSet([_record(rng), _record(rng, 0)], dataset="unit")
    path = rs.save(tmp_path / "ann.json")
    back = RecordSet.load(path)
    assert back.root == tmp_path and back.dataset == "unit" and len(back) == 2
    a, b = rs[0], back[0]
    np.testing.assert_allclose(a.joints_2d, b.joints_2d, atol=1e-4)
    np.testing.assert_allclose(a.joints_3d, b.joints_3d, atol=1e-4)
    assert (a.visibility == b.visibility).all() and (a.cause == b.cause).all()
    assert b.meta == {"split": "test"} and back[1].num_persons == 0
    assert back.image_path(b) == tmp_path / "images/a.jpg"


def _write(tmp_path, data):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(data))
    return p


def test_validation_names_location(tmp_path, rng):
    good = RecordSet([_record(rng)]).to_json()
    bad = json.loads(json.dumps(good))
    bad["images"][0]["persons"][1]["visibility"][4] = 7
    with pytest.raises(HuporError, match=r"images\[0\]\.persons\[1\]\.visibility\[4\]: must be 0, 1 or 2"):
        RecordSet.load(_write(tmp_path, bad))
    bad = json.loads(json.dumps(good))
    bad["images"][0]["persons"][0]["joints_3d_mm"] = bad["images"][0]["persons"][0]["joints_3d_mm"][:14]
    with pytest.raises(HuporError, match=r"persons\[0\]\.joints_3d_mm: expected shape \(15, 3\)"):
        RecordSet.load(_write(tmp_path, bad))
    bad = json.loads(json.dumps(good))
    del bad["images"][0]["intrinsics"]
    with pytest.raises(HuporError, match="missing field 'intrinsics'"):
        RecordSet.load(_write(tmp_path, bad))
    bad = json.loads(json.dumps(good))
    bad["images"][0]["intrinsics"]["fx"] = -3
    with pytest.raises(HuporError, match="intrinsics.*positive"):
        RecordSet.load(_write(tmp_path, bad))
    bad = json.loads(json.dumps(good))
    bad["images"][0]["persons"][0]["occlusion_cause"][2] = "ghost"
    with pytest.raises(HuporError, match="unknown cause 'ghost'"):
        RecordSet.load(_write(tmp_path, bad))
    with pytest.raises(HuporError, match="looks like SMAP"):
        RecordSet.load(_write(tmp_path, {"root": []}))
    (tmp_path / "trunc.json").write_text('{"format": "hupor-records", "ver')
    with pytest.raises(HuporError, match="not valid JSON"):
        RecordSet.load(tmp_path / "trunc.json")
    with pytest.raises(HuporError, match="no such file"):
        RecordSet.load(tmp_path / "missing.json")


def test_nan_is_rejected(tmp_path, rng):
    data = RecordSet([_record(rng)]).to_json()
    text = json.dumps(data).replace(str(data["images"][0]["persons"][0]["joints_2d_px"][3][0]), "NaN", 1)
    p = tmp_path / "nan.json"
    p.write_text(text)
    with pytest.raises(HuporError, match=r"joints_2d_px\[3, 0\]: non-finite"):
        RecordSet.load(p)


def test_smap_row_worked_example():
    # data-and-eval.md §5.8
    row = [812.4, 390.0, 452.0, 2, -31.0, 12.0, 452.0, 1497.7, 1497.1, 1024.7, 1051.4]
    body = [row] * 15
    smap = {"root": [{"img_paths": "TS1/img_000000.jpg", "img_width": 2048, "img_height": 2048,
                      "dataset": "MUCO", "isValidation": 0, "bodys": [body]}]}
    rs = from_smap(smap)
    r = rs[0]
    np.testing.assert_allclose(r.joints_3d[0, 0], (-310.0, 120.0, 4520.0))
    np.testing.assert_allclose(r.joints_2d[0, 0], (812.4, 390.0))
    assert r.visibility[0, 0] == 2 and r.intrinsics.fx == 1497.7 and r.has_3d
    back = to_smap(rs)
    assert back["root"][0]["dataset"] == "MUCO"
    np.testing.assert_allclose(back["root"][0]["bodys"], smap["root"][0]["bodys"])


def test_smap_roundtrip_lossless(rng):
    recs = [_record(rng), _record(rng, 3)]
    smap = to_smap(RecordSet(recs))
    again = to_smap(from_smap(json.loads(json.dumps(smap))))
    assert again["root"][0].keys() == smap["root"][0].keys()
    for a, b in zip(smap["root"], again["root"]):
        np.testing.assert_allclose(a["bodys"], b["bodys"], rtol=1e-12, atol=1e-9)


def test_smap_2d_only_and_errors():
    body = [[10.0, 20.0, 0, 2, 0, 0, 0, 640, 640, 320, 240]] * 15
    rs = from_smap({"root": [{"img_paths": "a.jpg", "img_width": 640, "img_height": 480, "bodys": [body]}]})
    assert not rs[0].has_3d
    with pytest.raises(HuporError, match="'root'"):
        from_smap({"images": []})
    with pytest.raises(HuporError, match=r"root\[0\]\.bodys: expected 15 joints"):
        from_smap({"root": [{"img_paths": "a", "img_width": 1, "img_height": 1, "bodys": [body[:14]]}]})
    with pytest.raises(HuporError, match=r"root\[0\]: missing field 'bodys'"):
        from_smap({"root": [{"img_paths": "a", "img_width": 1, "img_height": 1}]})
