from dataclasses import dataclass, field
from typing import Literal, Optional

import pytest

from hupor.config import from_dict, load_config, parse_overrides, to_dict
from hupor.errors import HuporError


@dataclass
class Inner:
    width: int = 32
    blocks: tuple[int, ...] = (1, 1, 1, 1)
    kind: Literal["gcn", "mlp"] = "gcn"


@dataclass
class Outer:
    name: str = "x"
    lr: float = 1e-3
    inner: Inner = field(default_factory=Inner)
    resume: Optional[str] = None
    flag: bool = False


def test_yaml_and_overrides(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("name: tiny\ninner:\n  width: 16\n  blocks: [2, 2]\n")
    cfg = load_config(Outer, str(p), ["inner.kind=mlp", "lr=2e-4", "flag=true"])
    assert cfg == Outer("tiny", 2e-4, Inner(16, (2, 2), "mlp"), None, True)
    assert to_dict(cfg)["inner"]["blocks"] == [2, 2]
    assert from_dict(Outer, to_dict(cfg)) == cfg


def test_errors_name_the_key(tmp_path):
    with pytest.raises(HuporError, match=r"config\.inner: unknown key 'depth'"):
        from_dict(Outer, {"inner": {"depth": 3}})
    with pytest.raises(HuporError, match=r"config\.inner\.width: expected an integer, got 'wide'"):
        from_dict(Outer, {"inner": {"width": "wide"}})
    with pytest.raises(HuporError, match=r"^override 'inner.kind=transformer': inner\.kind: must be one of"):
        load_config(Outer, None, ["inner.kind=transformer"])
    with pytest.raises(HuporError, match="expected true or false"):
        load_config(Outer, None, ["flag=3"])
    with pytest.raises(HuporError, match="expected key=value"):
        parse_overrides(["lr"])
    with pytest.raises(HuporError, match="unknown config 'nope'"):
        load_config(Outer, "nope")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    with pytest.raises(HuporError, match="invalid YAML"):
        load_config(Outer, str(bad))


def test_int_is_accepted_for_float_and_optional():
    cfg = load_config(Outer, None, ["lr=1", "resume=run/last.ckpt"])
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float) and cfg.resume == "run/last.ckpt"
