"""Progress bars: drawn on stderr only when it is a terminal and --no-progress is not given."""

import json

import numpy as np

from hupor import progress
from hupor.cli.main import main


class _TTY:
    def __init__(self, inner):
        self.inner = inner

    def isatty(self):
        return True

    def write(self, s):
        return self.inner.write(s)

    def flush(self):
        self.inner.flush()


def _lift_inputs(tmp_path, n_images=3):
    rng = np.random.default_rng(0)
    res, images = [], []
    for i in range(n_images):
        kp = np.zeros((17, 3))
        kp[:, 0], kp[:, 1], kp[:, 2] = rng.uniform(280, 360, 17), np.linspace(150, 400, 17), 0.9
        res.append({"image_id": i, "keypoints": kp.ravel().tolist(), "score": 0.9})
        images.append({"id": i, "width": 640, "height": 480, "file_name": f"{i}.jpg"})
    (tmp_path / "res.json").write_text(json.dumps(res))
    (tmp_path / "gt.json").write_text(json.dumps({"images": images}))
    return ["lift", str(tmp_path / "res.json"), "--coco-images", str(tmp_path / "gt.json")]


def test_enabled_needs_a_terminal_and_no_flag(monkeypatch):
    import sys

    monkeypatch.setattr(sys, "stderr", _TTY(sys.stderr))
    assert progress.enabled() and not progress.enabled(no_progress=True)
    monkeypatch.undo()


def test_lift_draws_a_bar_on_a_terminal_only(tmp_path, capsys, monkeypatch):
    import sys

    args = _lift_inputs(tmp_path)
    assert main(args + ["--json-output", str(tmp_path / "a")]) == 0
    assert "lift:" not in capsys.readouterr().err            # not a terminal: no bar
    monkeypatch.setattr(sys, "stderr", _TTY(sys.stderr))
    assert main(args + ["--json-output", str(tmp_path / "b")]) == 0
    assert "lift:" in capsys.readouterr().err                # a terminal: the bar
    assert main(args + ["--json-output", str(tmp_path / "c"), "--no-progress"]) == 0
    assert "lift:" not in capsys.readouterr().err
