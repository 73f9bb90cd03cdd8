"""Outputs: a path of the wrong kind is refused before any work; an unwritable folder is named."""

import errno
import os

import pytest

from hupor.errors import HuporError
from hupor.fileio import check_output_dir, check_output_file, write_json_atomic


@pytest.fixture
def paths(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.json").write_text("{}\n")
    return tmp_path


def test_output_file_commands(paths, fails):
    folder, file = paths / "folder", paths / "file.json"
    fails(["eval", "coco", "--pred", paths / "p", "--gt", paths / "g", "--json", folder],
          f"--json {folder}: is a folder")
    fails(["convert", "coco", paths / "src.json", "--out", folder], f"--out {folder}: is a folder")
    fails(["train", "export", "--detector", paths / "d.pt", "--out", folder], f"--out {folder}: is a folder")
    fails(["eval", "coco", "--pred", paths / "p", "--gt", paths / "g", "--json", file / "x.json"],
          f"{file} is a file, not a folder")


def test_output_dir_commands(paths, fails):
    file = paths / "file.json"
    fails(["synth", "--out", file, "--scenes", "1"], f"--out {file}: is a file, expected a folder")
    fails(["demo", "--out", file, "--sample"], f"--out {file}: is a file")
    fails(["predict", paths / "a.jpg", "--image-output", file], f"--image-output {file}: is a file")
    fails(["train", "detector", "--out", file], f"--out {file}: is a file")
    assert file.read_text() == "{}\n"  # untouched


def test_checks_accept_good_paths(paths):
    """Accepted without touching the disk (nothing created, the existing file unchanged); the paths
    are then writable."""
    assert check_output_file(paths / "new" / "x.json", "--json") is None
    assert check_output_file(paths / "file.json", "--json") is None  # replaced atomically later
    assert check_output_dir(paths / "folder", "--out") is None
    assert check_output_dir(paths / "new" / "deeper", "--out") is None
    assert sorted(p.name for p in paths.iterdir()) == ["file.json", "folder"] and not any((paths / "folder").iterdir())
    assert (paths / "file.json").read_text() == "{}\n"
    for target in (paths / "new" / "x.json", paths / "file.json", paths / "folder" / "y.json"):
        write_json_atomic(target, {"ok": 1})
        assert target.read_text().strip().replace(" ", "").replace("\n", "") == '{"ok":1}'


@pytest.mark.parametrize("code, fragment", [
    (errno.EACCES, "cannot write out.json there (Permission denied)"),
    (errno.EROFS, "cannot write out.json there"),
    (errno.ENOSPC, "out.json: not written, no space left in"),
])
@pytest.mark.parametrize("where", ["mkstemp", "write"])
def test_unwritable_folder_named_not_temp_file(paths, monkeypatch, code, fragment, where):
    """CI runs as root, so permissions and a full disk are injected."""
    import tempfile

    target = paths / "folder" / "out.json"
    if where == "mkstemp":
        def boom(*a, dir=None, **k):
            raise OSError(code, os.strerror(code), os.path.join(dir, ".out.x1y2.json"))
        monkeypatch.setattr(tempfile, "mkstemp", boom)
    else:
        def boom(self, *a, **k):
            raise OSError(code, os.strerror(code), str(self))
        monkeypatch.setattr("pathlib.Path.write_text", boom)
    with pytest.raises(HuporError) as exc:
        write_json_atomic(target, {"a": 1})
    msg = str(exc.value)
    assert fragment in msg and str(paths / "folder") in msg and ".out." not in msg
    assert sorted(os.listdir(paths / "folder")) == []  # no temporary file left behind


def test_verbose_shows_the_traceback(paths, capsys):
    from hupor.cli.main import main

    assert main(["-v", "synth", "--out", str(paths / "file.json"), "--scenes", "1"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("hupor synth: error: --out")


def test_kill_9_mid_write_leaves_a_temporary_file_that_the_next_run_sweeps(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from hupor.fileio import TMP_TAG, sweep_temporary, write_atomic

    out = tmp_path / "out"
    child = ("import sys, time\n"
             "from hupor.fileio import write_atomic\n"
             "def slow(p):\n"
             "    open(p, 'wb').write(b'x' * 1000)\n"
             "    print('writing', flush=True)\n"
             "    time.sleep(60)\n"
             f"write_atomic({str(out / 'clip.overlay.avi')!r}, slow)\n")
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    left = [p for p in out.iterdir() if TMP_TAG in p.name]
    assert len(left) == 1 and left[0].name.startswith(".clip.overlay" + TMP_TAG + str(proc.pid))
    # a temporary file of a live process (this one) is never swept
    mine = out / f".other{TMP_TAG}{os.getpid()}-abc.json"
    mine.write_text("{}")
    assert sweep_temporary(out) == left and mine.exists()
    # and the sweep runs by itself on the first atomic write into that folder in a new process
    left[0].write_bytes(b"x")
    subprocess.run([sys.executable, "-c", f"from hupor.fileio import write_text_atomic; "
                    f"write_text_atomic({str(out / 'a.json')!r}, '{{}}')"], check=True)
    assert not left[0].exists() and (out / "a.json").read_text() == "{}"
