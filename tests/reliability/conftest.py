"""Shared helpers of the reliability suite: run the CLI and check its one-line error contract."""

import pytest

from hupor.cli.main import main


@pytest.fixture
def fails(capsys):
    """``fails(args, *fragments)``: run ``hupor ARGS``, assert exit code 2, exactly one stderr line
    ``hupor CMD: error: ...`` holding every fragment and no traceback; return that line."""

    def run(args, *fragments):
        capsys.readouterr()
        rc = main([str(a) for a in args])
        err = capsys.readouterr().err
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert rc == 2, err
        assert "Traceback" not in err
        assert len(lines) == 1 and lines[0].startswith(f"hupor {args[0]}: error: "), err
        for f in fragments:
            assert str(f) in lines[0], (f, lines[0])
        return lines[0]

    return run
