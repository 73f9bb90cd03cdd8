import json

import cv2
import numpy as np
import pytest

from hupor.cli.main import main
from hupor.schema import read_poses

from test_product_predictor import tiny_bundle


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("media")
    bundle = tiny_bundle(root / "tiny.pt")
    rng = np.random.default_rng(0)
    folder = root / "folder"
    folder.mkdir()
    cv2.imwrite(str(folder / "b.jpg"), rng.integers(0, 256, (70, 100, 3), dtype=np.uint8))
    cv2.imwrite(str(folder / "a.png"), rng.integers(0, 256, (60, 90), dtype=np.uint8))           # grayscale
    cv2.imwrite(str(folder / "c.png"), rng.integers(0, 65536, (50, 80, 4), dtype=np.uint16))     # 16-bit RGBA
    (folder / "broken.jpg").write_bytes(b"\xff\xd8garbage")
    video = root / "clip.avi"
    w = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 12.0, (96, 64))
    for i in range(4):
        w.write(rng.integers(0, 256, (64, 96, 3), dtype=np.uint8))
    w.release()
    empty_video = root / "empty.avi"
    cv2.VideoWriter(str(empty_video), cv2.VideoWriter_fourcc(*"MJPG"), 12.0, (96, 64)).release()
    return {"root": root, "bundle": str(bundle), "folder": folder, "video": video, "empty_video": empty_video}


def test_product_cli_image_outputs(media, tmp_path, capsys):
    img = media["folder"] / "b.jpg"
    rc = main(["predict", str(img), "--checkpoint", media["bundle"], "--json-output", str(tmp_path / "j"),
               "--image-output", str(tmp_path / "i"), "--plot3d", "--fx", "150"])
    assert rc == 0
    obj = read_poses(tmp_path / "j" / "b.jpg.json")
    assert obj["image"] == {"path": str(img), "width": 100, "height": 70, "frame": None}
    assert obj["intrinsics"]["source"] == "fx" and obj["intrinsics"]["fx"] == 150
    assert cv2.imread(str(tmp_path / "i" / "b.jpg.overlay.jpg")).shape == (70, 100, 3)
    assert cv2.imread(str(tmp_path / "i" / "b.jpg.3d.png")) is not None
    assert "processed 1 input(s)" in capsys.readouterr().out


def test_product_cli_folder_with_bad_file(media, tmp_path, capsys):
    cam = tmp_path / "cam.json"
    cam.write_text(json.dumps({"fx": 120, "fy": 121, "cx": 40, "cy": 30}))
    rc = main(["predict", str(media["folder"]), "--checkpoint", media["bundle"], "--batch-size", "2",
               "--json-output", str(tmp_path / "j"), "--intrinsics", str(cam)])
    assert rc == 0
    names = sorted(p.name for p in (tmp_path / "j").iterdir())
    assert names == ["a.png.json", "b.jpg.json", "c.png.json"]
    a = read_poses(tmp_path / "j" / "a.png.json")
    assert a["intrinsics"] == {"fx": 120.0, "fy": 121.0, "cx": 40.0, "cy": 30.0, "source": "file"}
    err = capsys.readouterr().err
    assert "1 input(s) failed" in err and "broken.jpg" in err and "not a readable image" in err


def test_product_cli_video(media, tmp_path):
    rc = main(["predict", str(media["video"]), "--checkpoint", media["bundle"], "--json-output",
               str(tmp_path / "j"), "--image-output", str(tmp_path / "i"), "--batch-size", "3", "--flip"])
    assert rc == 0
    obj = read_poses(tmp_path / "j" / "clip.avi.json")
    assert obj["format"] == "hupor-poses-video"
    assert obj["video"]["num_frames"] == 4 and obj["video"]["width"] == 96 and obj["video"]["fps"] == 12.0
    assert [f["image"]["frame"] for f in obj["frames"]] == [0, 1, 2, 3]
    assert obj["frames"][0]["model"]["flip_test"] is True
    cap = cv2.VideoCapture(str(tmp_path / "i" / "clip.avi.overlay.avi"))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    assert n == 4
    rc = main(["predict", str(media["video"]), "--checkpoint", media["bundle"], "--json-output",
               str(tmp_path / "k"), "--max-frames", "2"])
    assert rc == 0 and read_poses(tmp_path / "k" / "clip.avi.json")["video"]["num_frames"] == 2


@pytest.mark.parametrize("args, message", [
    (["{empty_video}"], "video has no readable frames"),
    (["{root}/nothing-here.jpg"], "no such file or folder"),
    (["{root}/emptydir"], "holds no images or videos"),
    (["{root}/zero.png"], "empty file (0 bytes)"),
    (["{root}/huge.png"], "larger than the limit"),
    (["7"], "webcam 7: cannot open as a video"),
])
def test_product_cli_nothing_processed(media, tmp_path, capsys, args, message):
    root = media["root"]
    (root / "emptydir").mkdir(exist_ok=True)
    (root / "zero.png").write_bytes(b"")
    if not (root / "huge.png").exists():
        cv2.imwrite(str(root / "huge.png"), np.zeros((2, 9000), np.uint8))
    argv = [a.format(root=root, empty_video=media["empty_video"]) for a in args]
    rc = main(["predict", *argv, "--checkpoint", media["bundle"], "--json-output", str(tmp_path / "j")])
    assert rc == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "j").exists() or not any((tmp_path / "j").iterdir())


@pytest.mark.parametrize("extra, message", [
    (["--fx", "-5"], "fx: focal length must be a positive"),
    (["--fov", "200"], "fov_degrees must be in (0, 180)"),
    (["--intrinsics", "{root}/badK.json"], "must be 3x3"),
    (["--batch-size", "0"], "--batch-size must be >= 1"),
    (["--min-score", "1.5"], "--min-score: must be a number in [0, 1)"),
])
def test_product_cli_bad_options(media, tmp_path, capsys, extra, message):
    (media["root"] / "badK.json").write_text(json.dumps({"K": [[1, 0, 0], [0, 1, 0]]}))
    extra = [e.format(root=media["root"]) for e in extra]
    rc = main(["predict", str(media["folder"] / "b.jpg"), "--checkpoint", media["bundle"],
               "--json-output", str(tmp_path / "j"), *extra])
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hupor predict: error:") and message in err and "\n" not in err


def test_product_cli_demo(media, tmp_path, capsys):
    rc = main(["demo", "--out", str(tmp_path / "demo"), "--people", "3", "--seed", "1",
               "--checkpoint", media["bundle"]])
    assert rc == 0
    out = capsys.readouterr().out
    assert "people found / in ground truth" in out and "/ 3 (" in out
    pred = read_poses(tmp_path / "demo" / "scene.json")
    assert pred["intrinsics"]["source"] == "K"
    for name in ("scene.png", "scene.gt.json", "scene.overlay.jpg", "scene.gt_overlay.jpg", "scene.3d.png"):
        assert (tmp_path / "demo" / name).stat().st_size > 0
    rc = main(["demo", "--out", str(tmp_path / "sample"), "--sample", "--checkpoint", media["bundle"]])
    assert rc == 0 and "bundled sample scene" in capsys.readouterr().out


def test_product_cli_subprocess(media, tmp_path):
    """The real entry point in a fresh process (exit codes and files, as a user sees them)."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "hupor.cli.main", "predict", str(media["folder"] / "a.png"),
           "--checkpoint", media["bundle"], "--json-output", str(tmp_path), "--threads", "1"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert read_poses(tmp_path / "a.png.json")["image"]["width"] == 90
    res = subprocess.run(cmd[:4] + [str(media["folder"] / "broken.jpg")] + cmd[5:], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 2 and "broken.jpg" in res.stderr and "Traceback" not in res.stderr
