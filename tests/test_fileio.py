import json

import pytest

from hupor.errors import HuporError
from hupor.fileio import _umask, read_json, write_atomic, write_json_atomic


def test_atomic_json_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "sub" / "out.json"
    write_json_atomic(target, {"a": 1})
    assert json.loads(target.read_text()) == {"a": 1}
    assert target.stat().st_mode & 0o044 == 0o044 & ~_umask()  # readable by others unless umask says no

    def failing_writer(p):
        p.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, failing_writer)
    assert json.loads(target.read_text()) == {"a": 1}  # old content intact
    assert sorted(x.name for x in target.parent.iterdir()) == ["out.json"]  # no temp files left


def test_nan_refused_and_bad_json(tmp_path):
    with pytest.raises(ValueError):
        write_json_atomic(tmp_path / "x.json", {"a": float("nan")})
    assert not (tmp_path / "x.json").exists()
    (tmp_path / "b.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(HuporError, match="b.json"):
        read_json(tmp_path / "b.json")
