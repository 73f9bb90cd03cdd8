import subprocess
import sys

from hupor.cli.main import build_parser, main


def test_help_lists_no_crash(capsys):
    parser = build_parser()
    assert parser.prog == "hupor"
    assert main([]) == 2  # no command: prints help, non-zero
    assert "usage: hupor" in capsys.readouterr().out


def test_console_module_runs():
    out = subprocess.run([sys.executable, "-m", "hupor.cli.main", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("hupor ")
