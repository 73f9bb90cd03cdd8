import pytest

from hupor.cli.info import model_table
from hupor.cli.main import main
from hupor.nets import load_model_config

OFFICIAL = {  # measured on the official code (brief); DSED inference: see docs/networks.md
    "detector, 2 stages": 58.80e6,
    "detector, 3 stages (configured)": 91.48e6,
    "reasoner dsed, 2 stages, training": 104.89e6,
    "refinenet mlp": 0.16e6,
}


def test_paper_parameter_counts_match_official():
    rows = dict(model_table(*load_model_config("paper")))
    for label, want in OFFICIAL.items():
        assert rows[label] == pytest.approx(want, rel=0.02), label
    # documented figure: student + decoder = training count minus both teachers
    assert rows["reasoner dsed, 2 stages, inference (student + decoder)"] == pytest.approx(57.96e6, rel=0.001)
    assert rows["refinenet gcn (configured)"] < 0.1e6


def test_info_command_prints_counts(capsys):
    assert main(["info", "--config", "cpu-tiny", "model.reasoner.stages=3"]) == 0
    out = capsys.readouterr().out
    assert "reasoner dsed, 3 stages, training" in out and "refinenet mlp" in out
    assert main(["info", "--config", "cpu-tiny", "model.detector.stages=zero"]) == 2
    assert "stages" in capsys.readouterr().err
