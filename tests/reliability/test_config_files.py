"""Config layer: Lightning settings validated up front, errors blamed on the right source, strict YAML."""

import pytest

from hupor.config import load_config
from hupor.errors import HuporError
from hupor.train.config import PRECISIONS, STRATEGIES, TrainConfig, load_experiment


@pytest.mark.parametrize("override, fragment", [
    ("train.precision=64-bogus", "train.precision: unknown value '64-bogus'"),
    ("train.strategy=bogus", "train.strategy: unknown value 'bogus'"),
    ("train.accelerator=quantum", "train.accelerator: unknown value 'quantum'"),
    ("train.devices=0", "train.devices: must be a count >= 1"),
    ("train.devices=-2", "train.devices"),
    ("train.devices=some", "train.devices"),
    ("train.seed=abc", "train.seed: expected an integer, got 'abc'"),
])
def test_bad_override_blames_the_override(override, fragment):
    with pytest.raises(HuporError) as exc:
        load_experiment("cpu-tiny", [override])
    msg = str(exc.value)
    assert msg.startswith(f"override {override!r}: ") and fragment in msg
    assert "cpu-tiny.yaml" not in msg


@pytest.mark.parametrize("devices, field, value", [
    ("train.devices=1", "devices", 1), ("train.devices=-1", "devices", -1), ("train.devices=auto", "devices", "auto"),
    ("train.devices=0,1", "devices", "0,1"), ("train.precision=bf16-mixed", "precision", "bf16-mixed"),
    ("train.strategy=ddp", "strategy", "ddp")])
def test_lightning_values_accepted(devices, field, value):
    """Accepted, and the value lands in the typed config as Lightning takes it; the other fields keep
    their defaults."""
    cfg = load_experiment("cpu-tiny", [devices]).train
    default = load_experiment("cpu-tiny", []).train
    assert getattr(cfg, field) == value and type(getattr(cfg, field)) is type(value)
    for other in ("devices", "precision", "strategy"):
        if other != field:
            assert getattr(cfg, other) == getattr(default, other)


def test_known_values_are_lightnings():
    from lightning.fabric.connector import _PRECISION_INPUT_STR, _PRECISION_INPUT_STR_ALIAS
    from lightning.pytorch.strategies import StrategyRegistry
    import typing

    assert set(STRATEGIES) - {"auto"} <= set(StrategyRegistry.available_strategies())
    # "auto" is hupor's own (hupor.train.precision resolves it before the Trainer sees it)
    assert set(PRECISIONS) - {"auto"} == set(typing.get_args(_PRECISION_INPUT_STR)) | set(
        typing.get_args(_PRECISION_INPUT_STR_ALIAS))


def test_file_error_still_blames_the_file(tmp_path):
    p = tmp_path / "exp.yaml"
    p.write_text("train:\n  seed: abc\n")
    with pytest.raises(HuporError, match=r"exp.yaml.train.seed: expected an integer"):
        load_experiment(str(p), ["train.threads=1"])
    with pytest.raises(HuporError, match=r"^override 'seed=x': seed: expected an integer"):
        load_config(TrainConfig, None, ["seed=x"])


def test_duplicated_key_names_key_and_file(tmp_path):
    p = tmp_path / "dup.yaml"
    p.write_text("train:\n  seed: 1\n  lr: 2\n  seed: 3\n")
    with pytest.raises(HuporError, match=r"dup.yaml: key 'seed' appears twice \(lines 2 and 4\)"):
        load_experiment(str(p))


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_empty_yaml_is_an_error(tmp_path, text):
    p = tmp_path / "empty.yaml"
    p.write_text(text)
    with pytest.raises(HuporError, match="empty.yaml: empty config file"):
        load_experiment(str(p))
    (tmp_path / "defaults.yaml").write_text("{}\n")  # an explicit empty mapping means all defaults
    assert load_experiment(str(tmp_path / "defaults.yaml")).train.seed == 0


def test_cli_override_error_is_one_line(fails, tmp_path):
    fails(["train", "detector", "--out", tmp_path / "run", "train.seed=abc"], "override 'train.seed=abc'")
    assert not (tmp_path / "run").exists()
