"""Atomic file writing, safe reading, and the up-front checks on input and output paths.

Files are written to a temporary sibling and renamed into place, so a reader never sees half a file.
An OS error while writing (read-only folder, disk full) raises :class:`HuporError` naming the target
and its folder, never the temporary file. :func:`check_output_file` / :func:`check_output_dir` refuse
an output path of the wrong kind before any work starts; :func:`require_regular_file` refuses FIFOs,
devices and folders before anything opens them (so nothing blocks).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any, Callable

from .errors import HuporError


TMP_TAG = ".hupor-tmp-"
_swept: set[str] = set()   # folders already swept by this process (a cache, not configuration)


def sweep_temporary(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files that a killed hupor process left in ``folder``: names
    ``.STEM.hupor-tmp-PID-*`` whose process ``PID`` no longer runs. Returns the deleted paths."""
    gone = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return gone
    for e in entries:
        name = e.name
        k = name.find(TMP_TAG)
        if not name.startswith(".") or k < 0 or not e.is_file(follow_symlinks=False):
            continue
        pid = name[k + len(TMP_TAG):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        try:
            os.unlink(e.path)
            gone.append(Path(e.path))
        except OSError:
            pass
    return gone


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:          # exists, owned by someone else
        return True
    return True


def write_atomic(path: str | os.PathLike, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` then rename ``tmp_path`` onto ``path``. Returns ``path``.

    The temporary file keeps the target's suffix so writers that infer a format from it
    (``cv2.imwrite``, ``matplotlib.savefig``) work. Its name ``.STEM.hupor-tmp-PID-XXXX.SUFFIX``
    says which process wrote it; the first write into a folder sweeps the temporary files of
    processes that died mid-write (:func:`sweep_temporary`, e.g. ``kill -9`` during a video).
    """
    path = Path(path)
    tmp_path = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        folder = str(path.parent.resolve())
        if folder not in _swept:
            _swept.add(folder)
            sweep_temporary(folder)
        fd, tmp = tempfile.mkstemp(prefix=f".{_short_stem(path)}{TMP_TAG}{os.getpid()}-", suffix=path.suffix,
                                   dir=path.parent)
        os.close(fd)
        tmp_path = Path(tmp)
        writer(tmp_path)
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp_path, path)
    except OSError as exc:
        raise write_error(path, exc) from None
    finally:
        if tmp_path is not None and tmp_path.exists():
            tmp_path.unlink()
    return path


NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems


def _short_stem(path: Path) -> str:
    """The target's stem, cut so that the temporary name (stem + tag + PID + 8 random characters +
    suffix) fits in :data:`NAME_MAX` bytes even when the final name nearly fills it."""
    room = NAME_MAX - len(f".{TMP_TAG}{os.getpid()}-".encode()) - 8 - len(path.suffix.encode())
    stem = path.stem
    while len(stem.encode("utf-8", "surrogateescape")) > max(room, 1):
        stem = stem[:-1]
    return stem


def write_error(path: Path, exc: OSError) -> HuporError:
    """A one-line error for an OS error while writing ``path``: it names the folder, not a temp file."""
    folder = path.parent
    why = exc.strerror or type(exc).__name__
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return HuporError(f"{folder}: cannot write {path.name} there ({why}); choose a writable folder")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return HuporError(f"{path}: not written, no space left in {folder} ({why})")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return HuporError(f"{folder}: cannot create the folder for {path.name} (a file is in the way)")
    return HuporError(f"{path}: cannot write ({why})")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json_atomic(path: str | os.PathLike, obj: Any, indent: int | None = 1) -> Path:
    """Serialise ``obj`` as JSON (NaN is rejected) and write it atomically."""
    text = json.dumps(obj, indent=indent, allow_nan=False)
    return write_text_atomic(path, text + "\n")


def require_regular_file(path: str | os.PathLike, what: str = "file") -> Path:
    """``path`` as a Path if it is a regular file (symlinks followed); otherwise HuporError saying what
    it is. Only ``stat`` is called, so a FIFO or a device never blocks."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise HuporError(f"{path}: no such file") from None
    except OSError as exc:
        raise HuporError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise HuporError(f"{path}: is a folder, not a {what}")
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) \
            else "a socket" if stat.S_ISSOCK(mode) else "a special file"
        raise HuporError(f"{path}: not a regular file ({kind}); a {what} must be a plain file")
    return path


def _blocking_ancestor(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` that is not a folder, if any."""
    for parent in path.absolute().parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def check_output_file(path: str | os.PathLike | None, flag: str) -> None:
    """Refuse an output file path that is a folder or lies under a file (checked before any work)."""
    if path is None:
        return
    p = Path(path)
    if str(path).endswith(os.sep) or p.is_dir():
        raise HuporError(f"{flag} {path}: is a folder, expected a file name")
    if p.exists() and not p.is_file():
        raise HuporError(f"{flag} {path}: exists and is not a regular file")
    bad = _blocking_ancestor(p)
    if bad is not None:
        raise HuporError(f"{flag} {path}: {bad} is a file, not a folder")


def check_output_dir(path: str | os.PathLike | None, flag: str) -> None:
    """Refuse an output folder path that is an existing file or lies under a file."""
    if path is None:
        return
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise HuporError(f"{flag} {path}: is a file, expected a folder")
    bad = _blocking_ancestor(p)
    if bad is not None:
        raise HuporError(f"{flag} {path}: {bad} is a file, not a folder")


MAX_JSON_DEPTH = 100  # nesting of arrays / objects; hupor's own files nest at most 6 deep


def json_depth(data: bytes) -> int:
    """The deepest nesting of ``[`` / ``{`` outside strings in JSON text ``data``, by a linear scan in C
    (byte replacements, a translate, a split): escaped backslashes and quotes are removed first,
    then everything except quotes and brackets, then what lies between quote pairs."""
    import numpy as np

    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(data.translate(None, _NOT_STRUCTURE).split(b'"')[0::2])  # even pieces: outside strings
    brackets = np.frombuffer(outside, dtype=np.uint8)
    if brackets.size == 0:
        return 0
    step = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1).astype(np.int32)
    return int(np.cumsum(step).max())


_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')


def parse_json(data: bytes | str, where: str) -> Any:
    """Parse JSON text; malformed, non-UTF-8 or too deeply nested text raises :class:`HuporError`
    naming ``where``. Nesting beyond :data:`MAX_JSON_DEPTH` is refused before ``json.loads`` runs."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    depth = json_depth(raw)
    if depth > MAX_JSON_DEPTH:
        raise HuporError(f"{where}: JSON nested {depth} levels deep, more than the limit of {MAX_JSON_DEPTH}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HuporError(f"{where}: not a UTF-8 text file") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise HuporError(f"{where}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:  # cannot happen below MAX_JSON_DEPTH; kept as the last line of defence
        raise HuporError(f"{where}: JSON nested too deeply to read") from None


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file (every JSON file hupor reads comes through here); a missing, malformed or too
    deeply nested file (:func:`parse_json`) raises :class:`HuporError` naming it."""
    path = require_regular_file(path, "JSON file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise HuporError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return parse_json(raw, str(path))


_TORCH_MAGIC = (b"PK\x03\x04", b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


def load_torch(path: str | os.PathLike, what: str = "checkpoint", map_location="cpu") -> Any:
    """``torch.load(path, weights_only=True)`` with one clear line for each way it fails: not a torch
    file at all, a file holding arbitrary Python objects (refused as unsafe), or a corrupt file."""
    import pickle

    import torch

    path = require_regular_file(path, what)
    with open(path, "rb") as f:
        head = f.read(4)
    if not head:
        raise HuporError(f"{path}: empty file (0 bytes), not a {what}")
    if not head.startswith(_TORCH_MAGIC):
        raise HuporError(f"{path}: not a {what} (not a file written by torch.save)")
    try:
        return torch.load(path, map_location=map_location or "cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        m = re.search(r"GLOBAL ([\w.]{1,100})", str(exc))
        if m or "weights only" in str(exc).lower():
            held = f" ({m.group(1)})" if m else ""
            raise HuporError(f"{path}: holds arbitrary Python objects{held}; refused as unsafe (a {what} "
                             f"must hold only tensors and plain data)") from None
        raise HuporError(f"{path}: not a readable {what} (corrupt: {_first_line(exc)})") from None
    except Exception as exc:  # torch raises many types for a truncated or corrupt file
        raise HuporError(f"{path}: not a readable {what} (truncated or corrupt: {_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return f"{type(exc).__name__}: {lines[0][:120]}" if lines else type(exc).__name__
