"""Video files written atomically: frames go to a temporary sibling, renamed only when complete.

OpenCV's ``VideoWriter`` reports no write error: with the disk full it keeps accepting frames and
leaves a truncated file. :func:`write_video` therefore reads the finished temporary file back
(:func:`count_frames`, ``grab`` only) and renames it onto the final name only when every frame is
there; otherwise the temporary file is deleted and :class:`~hupor.errors.HuporError` names the target,
its folder and the OS reason (``No space left on device`` when the folder's file system is full). A
failure or a signal while the frames are produced (SIGTERM unwinds, :mod:`hupor.interrupt`) leaves no
file under the final name and no temporary file.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import HuporError
from ..fileio import write_atomic

FULL_BYTES = 1 << 20  # a file system with less free space than this is taken as full


def count_frames(path) -> int:
    """Frames a video file really holds, counted by demuxing (``grab``) to its end."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            return 0
        n = 0
        while cap.grab():
            n += 1
        return n
    finally:
        cap.release()


def _why(folder: Path, what: str) -> OSError:
    """The OS error behind a writer that silently failed: ENOSPC when ``folder``'s file system is full."""
    try:
        st = os.statvfs(folder)
        if st.f_bavail * st.f_frsize < FULL_BYTES:
            return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    except (OSError, AttributeError):
        pass
    return OSError(errno.EIO, what)


def write_video(path, frames: Iterable[np.ndarray], fps: float, fourcc: str = "MJPG") -> int:
    """Write ``frames`` (uint8 (H, W, 3) BGR, one size) to ``path`` at ``fps`` (25 when not positive)
    atomically (module docstring). Returns the number of frames written."""
    import cv2

    path = Path(path)
    state = {"n": 0}

    def fill(tmp: Path) -> None:
        writer, size = None, None
        try:
            for img in frames:
                if writer is None:
                    size = (img.shape[1], img.shape[0])
                    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*fourcc), fps if fps > 0 else 25.0, size)
                    if not writer.isOpened():
                        raise _why(tmp.parent, "cannot open a video writer")
                if (img.shape[1], img.shape[0]) != size:
                    raise HuporError(f"{path}: frame {state['n']} is {img.shape[1]}x{img.shape[0]}, the video "
                                     f"is {size[0]}x{size[1]}")
                writer.write(img)
                state["n"] += 1
        finally:
            if writer is not None:
                writer.release()
        if state["n"] == 0:
            raise HuporError(f"{path}: no frames to write")
        stored = count_frames(tmp)
        if stored != state["n"]:
            raise _why(tmp.parent, f"the video writer stored {stored} of {state['n']} frames")

    write_atomic(path, fill)
    return state["n"]
