"""``hupor predict VIDEO --track --smooth``: track ids in the video JSON, tracks restart per video."""

import json

from hupor.cli.main import main
from hupor.schema import read_poses


def test_predict_video_with_tracks(tmp_path):
    vid = tmp_path / "v"
    assert main(["synth", "--out", str(vid), "--sequence", "30", "--people", "4-4", "--seed", "1"]) == 0
    out = tmp_path / "out"
    assert main(["predict", str(vid / "video.mp4"), "--track", "--smooth", "--max-frames", "3", "--json-output", str(out),
                 "--image-output", str(out)]) == 0
    obj = read_poses(out / "video.mp4.json")  # validates track_id
    persons = [p for fr in obj["frames"] for p in fr["persons"]]
    assert persons and all(isinstance(p["track_id"], int) for p in persons)
    assert (out / "video.mp4.overlay.avi").stat().st_size > 0
    plain = tmp_path / "plain"
    assert main(["predict", str(vid / "video.mp4"), "--max-frames", "3", "--json-output", str(plain)]) == 0
    frames = json.loads((plain / "video.mp4.json").read_text())["frames"]
    assert all("track_id" not in p for fr in frames for p in fr["persons"])
    # same video twice in one run: the second starts from id 0 again
    twice = tmp_path / "twice"
    assert main(["predict", str(vid / "video.mp4"), str(vid / "video.mp4"), "--track", "--max-frames", "3", "--json-output",
                 str(twice)]) == 0
    ids = [[p["track_id"] for fr in read_poses(twice / name)["frames"] for p in fr["persons"]]
           for name in ("video.mp4.json", "video-2.mp4.json")]
    assert ids[0] == ids[1] and min(ids[0]) == 0
