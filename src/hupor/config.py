"""Typed configuration: dataclasses filled from YAML files plus ``key=value`` overrides.

Every config is a (nested) dataclass. :func:`load_config` reads a YAML file (or a bundled config name
such as ``paper`` or ``cpu-tiny`` from ``hupor/configs/``), applies dotted overrides
(``model.stages=2 train.lr=1e-3``), and validates: unknown keys and wrong types raise
:class:`~hupor.errors.HuporError` naming the key. No environment variables, no module globals.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .errors import HuporError

T = TypeVar("T")

CONFIG_DIR = Path(__file__).parent / "configs"


def bundled_configs() -> list[str]:
    """Names of the configs that ship with the package."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def resolve_config_path(name_or_path: str) -> Path:
    """A path to a YAML file, or the name of a bundled config (``paper``, ``cpu-tiny``)."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise HuporError(f"config file {p}: no such file")
        return p
    bundled = CONFIG_DIR / f"{name_or_path}.yaml"
    if bundled.is_file():
        return bundled
    raise HuporError(f"unknown config {name_or_path!r}: not a file, and bundled configs are "
                     f"{', '.join(bundled_configs()) or 'none'}")


def from_dict(cls: type[T], data: Any, where: str = "config") -> T:
    """Build dataclass ``cls`` from a mapping, checking every key and type."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise HuporError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise HuporError(f"{where}: unknown key {unknown[0]!r}; valid keys: {', '.join(fields)}")
    kwargs = {name: _coerce(hints[name], value, f"{where}.{name}") for name, value in data.items()}
    try:
        return cls(**kwargs)
    except HuporError:
        raise
    except (TypeError, ValueError) as exc:
        raise HuporError(f"{where}: {exc}") from None


def _coerce(tp, value, where: str):
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(a, value, where)
            except HuporError as exc:
                errors.append(str(exc))
        raise HuporError(errors[0] if errors else f"{where}: invalid value {value!r}")
    if origin is typing.Literal:
        if value not in args:
            raise HuporError(f"{where}: must be one of {', '.join(map(repr, args))}, got {value!r}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise HuporError(f"{where}: expected a list, got {value!r}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise HuporError(f"{where}: expected {len(args)} items, got {len(value)}")
            return tuple(_coerce(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
        item = args[0] if args else Any
        out = [_coerce(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(out) if origin is tuple else out
    if origin is dict:
        if not isinstance(value, dict):
            raise HuporError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if tp is Any:
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise HuporError(f"{where}: expected true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise HuporError(f"{where}: expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads "2e-4" (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
        raise HuporError(f"{where}: expected a number, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise HuporError(f"{where}: expected a string, got {value!r}")
    return value


def to_dict(cfg) -> dict:
    """A plain dict (YAML/JSON safe) of a config dataclass."""
    def conv(v):
        if isinstance(v, tuple):
            return [conv(x) for x in v]
        if isinstance(v, list):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return v
    return conv(dataclasses.asdict(cfg))


def parse_overrides(overrides: list[str]) -> dict:
    """``["a.b=1", "c=[1,2]"]`` → nested dict; values parsed as YAML scalars/lists."""
    out: dict = {}
    for item in overrides:
        if "=" not in item:
            raise HuporError(f"override {item!r}: expected key=value")
        key, raw = item.split("=", 1)
        if not key:
            raise HuporError(f"override {item!r}: empty key")
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            raise HuporError(f"override {item!r}: cannot parse value {raw!r}") from None
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise HuporError(f"override {item!r}: {part!r} is not a section")
        node[parts[-1]] = value
    return out


def merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a mapping holding the same key twice (YAML keeps the last)."""


def _construct_mapping(loader, node, deep=False):
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise HuporError(f"key {key!r} appears twice (lines {seen[key]} and {key_node.start_mark.line + 1})")
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml_mapping(path: Path) -> dict:
    """The top-level mapping of a YAML file; invalid YAML, a duplicated key, an empty file or a
    non-mapping raise HuporError naming the file."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except HuporError as exc:
        raise HuporError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise HuporError(f"{path}: invalid YAML ({str(exc).splitlines()[0]})") from None
    except UnicodeDecodeError:
        raise HuporError(f"{path}: not a UTF-8 text file") from None
    if data is None:
        raise HuporError(f"{path}: empty config file (write {{}} for all defaults)")
    if not isinstance(data, dict):
        raise HuporError(f"{path}: top level must be a mapping")
    return data


def read_config_dict(name_or_path: str, overrides: list[str] | None = None) -> tuple[Path, dict]:
    """The raw mapping of a YAML config (file or bundled name) with ``key=value`` overrides merged."""
    path = resolve_config_path(name_or_path)
    return path, merge(read_yaml_mapping(path), parse_overrides(list(overrides or [])))


def load_config(cls: type[T], name_or_path: str | None = None, overrides: list[str] | None = None) -> T:
    """Load ``cls`` from a YAML file or bundled name, then apply ``key=value`` overrides. An error
    caused by an override names the override, not the file."""
    overrides = list(overrides or [])
    if name_or_path is None:
        path, base = None, {}
    else:
        path = resolve_config_path(name_or_path)
        base = read_yaml_mapping(path)
    try:
        return from_dict(cls, merge(base, parse_overrides(overrides)), str(path or "config"))
    except HuporError as exc:
        culprit = _blame_override(cls, base, overrides, str(exc))
        if culprit is not None:
            raise culprit from None
        raise


def _blame_override(cls, base: dict, overrides: list[str], error: str) -> HuporError | None:
    """The error of the first override that fails on its own on top of a valid ``base`` (or of all
    overrides together); None when ``base`` is itself invalid (the file is at fault)."""
    if not overrides:
        return None
    try:
        from_dict(cls, base, "config")
    except HuporError:
        return None
    for item in overrides:
        try:
            from_dict(cls, merge(base, parse_overrides([item])), "config")
        except HuporError as exc:
            msg = str(exc).removeprefix("config.").removeprefix("config: ")
            return HuporError(f"override {item!r}: {msg}")
    return HuporError(f"overrides {' '.join(overrides)}: {error}")
