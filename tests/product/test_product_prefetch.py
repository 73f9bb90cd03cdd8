"""``hupor predict`` with the reader thread (default) against ``--no-prefetch``: same outputs, same
order, same per-input errors, no thread left behind on an error or Ctrl-C."""

import threading

import pytest

from hupor.cli.main import main
from hupor.predictor import Predictor
from hupor.schema import read_poses

from test_product_cli import media  # noqa: F401  (module fixture: tiny bundle, folder, video)


def _no_reader_left():
    return not any(t.name == "hupor-prefetch" for t in threading.enumerate())


def _run(media, out, *extra):
    return main(["predict", str(media["folder"]), str(media["video"]), "--checkpoint", media["bundle"],
                 "--json-output", str(out), *extra])


@pytest.mark.parametrize("batch", ["1", "3"])
def test_prefetch_same_outputs_order_and_errors(media, tmp_path, capsys, batch):  # noqa: F811
    runs = {}
    for flag in ([], ["--no-prefetch"]):
        out = tmp_path / ("off" if flag else "on")
        assert _run(media, out, "--batch-size", batch, *flag) == 0
        text = capsys.readouterr()
        lines = [ln.split(":")[0] for ln in text.out.splitlines() if ": " in ln and not ln.startswith("model: ")]
        files = {p.name: read_poses(p) for p in out.iterdir()}
        for obj in files.values():  # timings differ between runs, nothing else
            for frame in obj.get("frames", [obj]):
                frame.pop("timings_ms", None)
        failed = [ln for ln in text.err.splitlines() if ln.startswith("  ")]
        runs[bool(flag)] = (lines, files, failed)
        assert _no_reader_left()
    on, off = runs[False], runs[True]
    assert on[0] == off[0] and [ln.rsplit("/", 1)[-1] for ln in on[0]] == ["a.png", "b.jpg", "c.png", "clip.avi"]
    assert on[1] == off[1] and sorted(on[1]) == ["a.png.json", "b.jpg.json", "c.png.json", "clip.avi.json"]
    assert on[2] == off[2] and len(on[2]) == 1 and "broken.jpg" in on[2][0]  # one input's error, once


@pytest.mark.parametrize("exc, rc", [(KeyboardInterrupt, 130), (RuntimeError, None)])
def test_prefetch_no_thread_left_on_interrupt(media, tmp_path, monkeypatch, exc, rc):  # noqa: F811
    calls = {"n": 0}
    real = Predictor.predict_arrays

    def flaky(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise exc("stop")
        return real(self, *a, **k)

    monkeypatch.setattr(Predictor, "predict_arrays", flaky)
    for inputs in ([str(media["folder"])], [str(media["video"])]):
        calls["n"] = 0
        argv = ["predict", *inputs, "--checkpoint", media["bundle"], "--json-output", str(tmp_path / "j")]
        if rc is None:
            with pytest.raises(exc):
                main(argv)
        else:
            assert main(argv) == rc
        assert calls["n"] == 2 and _no_reader_left()
