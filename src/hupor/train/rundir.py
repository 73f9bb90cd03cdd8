"""One run per folder: the checks ``run_stage`` makes before it writes anything.

* A new run needs an empty (or missing) ``OUT``; ``overwrite`` first removes the artefacts of an
  earlier run (:data:`RUN_ENTRIES`) and refuses a folder holding anything else.
* ``resume`` continues from the newest checkpoint of the run in ``OUT`` and needs the same config:
  the stored one (the checkpoint's ``hupor`` metadata, else ``OUT/config.yaml``) is compared with the
  new one and every differing key is named. Keys in :data:`RESUME_FREE_KEYS` (threads, logging,
  progress bar, data-loader workers) may change on resume: they change neither the model nor the
  numbers it is trained on.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from ..config import to_dict
from ..errors import HuporError
from .checkpoint import CHECKPOINT_KEY, find_resume_checkpoint, load_checkpoint
from .config import ExperimentConfig

RUN_ENTRIES = ("config.yaml", "checkpoints", "logs", "tb", "lightning_logs", "detector.pt", "reasoner.pt",
               "refiner.pt", "bundle.pt")
RESUME_FREE_KEYS = ("train.threads", "train.progress_bar", "train.log_every", "train.num_workers",
                    "train.log_dir")


def is_launch_rank_zero() -> bool:
    """False in the processes a distributed launcher starts besides the first (Lightning's ``ddp``
    re-runs the command with ``LOCAL_RANK`` set; torchrun and SLURM set ``RANK`` / ``SLURM_PROCID``):
    only the first process checks and empties the run folder. Reading the environment is deliberate:
    these variables are the launcher's process identity, not configuration (which stays typed)."""
    for key in ("RANK", "SLURM_PROCID", "LOCAL_RANK", "NODE_RANK"):
        value = os.environ.get(key, "0").strip() or "0"
        if value.isdigit() and int(value) != 0:
            return False
    return True


def check_new_run(out: Path, overwrite: bool) -> list[Path]:
    """Refuse a non-empty ``out`` for a new run (with ``overwrite``: one holding anything but an
    earlier run's artefacts). Returns what ``overwrite`` would remove; changes nothing."""
    if not out.exists():
        return []
    if not out.is_dir():
        raise HuporError(f"--out {out}: is a file, expected a run folder")
    entries = sorted(p.name for p in out.iterdir())
    if entries and not overwrite:
        raise HuporError(f"--out {out}: folder is not empty (holds {', '.join(entries[:3])}"
                         f"{', ...' if len(entries) > 3 else ''}); use --resume to continue that run or "
                         f"--overwrite to replace it")
    foreign = [e for e in entries if e not in RUN_ENTRIES and not e.startswith(".")]
    if foreign:
        raise HuporError(f"--overwrite {out}: refused, the folder holds files that are not from a hupor "
                         f"run ({', '.join(foreign[:3])}); choose another --out")
    return [out / e for e in entries]


def prepare_new_run(out: Path, overwrite: bool) -> None:
    """:func:`check_new_run`, then empty ``out`` of the earlier run (``overwrite``)."""
    for p in check_new_run(out, overwrite):
        shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()


def resume_checkpoint(out: Path, cfg: ExperimentConfig) -> Path:
    """The newest checkpoint of the run in ``out``, after checking that ``cfg`` matches the run's."""
    ckpt = find_resume_checkpoint(out / "checkpoints")
    if ckpt is None:
        raise HuporError(f"--resume: no checkpoint in {out / 'checkpoints'}")
    meta = load_checkpoint(ckpt).get(CHECKPOINT_KEY)
    if isinstance(meta, dict) and isinstance(meta.get("config"), dict):
        stored, where = meta["config"], str(ckpt)
    elif (out / "config.yaml").is_file():
        from ..config import read_yaml_mapping

        stored, where = read_yaml_mapping(out / "config.yaml"), str(out / "config.yaml")
    else:
        raise HuporError(f"--resume: {ckpt} has no stored config and {out / 'config.yaml'} is missing")
    try:
        stored = to_dict(ExperimentConfig.from_dict(stored, where))  # fills defaults added since
    except HuporError as exc:
        raise HuporError(f"--resume: the stored config no longer loads ({exc})") from None
    diff = config_diff(stored, to_dict(cfg))
    if diff:
        shown = "; ".join(f"{k}: {a!r} -> {b!r}" for k, a, b in diff[:5])
        raise HuporError(f"--resume {out}: config differs from the run's ({where}) in {len(diff)} key(s): "
                         f"{shown}{'; ...' if len(diff) > 5 else ''}. Resume with the same config, or "
                         f"start a new run (another --out, or --overwrite)")
    return ckpt


def config_diff(old: dict, new: dict, prefix: str = "") -> list[tuple[str, object, object]]:
    """``(dotted key, old, new)`` for every leaf that differs, except :data:`RESUME_FREE_KEYS`."""
    out = []
    for k in sorted(set(old) | set(new), key=str):
        key = f"{prefix}{k}"
        a, b = old.get(k), new.get(k)
        if isinstance(a, dict) and isinstance(b, dict):
            out.extend(config_diff(a, b, f"{key}."))
        elif a != b and key not in RESUME_FREE_KEYS:
            out.append((key, a, b))
    return out


def write_config(out: Path, cfg: ExperimentConfig) -> None:
    from ..fileio import write_text_atomic

    write_text_atomic(out / "config.yaml", yaml.safe_dump(to_dict(cfg), sort_keys=False))
