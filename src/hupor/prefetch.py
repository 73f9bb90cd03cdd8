"""Read ahead in a background thread: the next images or video frames are read and decoded while the
network runs on the current ones (OpenCV's decoders, like torch and ONNX Runtime, release the GIL).

::

    with Prefetch(read_items(), depth=2) as items:
        for item in items:       # same items, same order, at most ``depth`` read ahead
            ...

An exception raised by the source iterator is re-raised in the consumer at the position where it
happened (items before it are delivered first), so per-input error handling stays where it was. Leaving
the ``with`` block for any reason (end, ``break``, an exception, Ctrl-C in the main thread) stops the
reader, closes the source iterator *in the reader thread* (a video generator releases its capture
there) and joins the thread: no thread is left running. ``depth=0`` iterates in the caller's thread.
"""

from __future__ import annotations

import queue
import threading
from typing import Iterable, Iterator

_END = object()
_POLL_S = 0.05


class Prefetch:
    """Iterate ``source`` in a daemon thread, up to ``depth`` items ahead (``depth=0``: no thread)."""

    def __init__(self, source: Iterable, depth: int = 2, name: str = "hupor-prefetch"):
        if depth < 0:
            raise ValueError(f"depth must be >= 0, got {depth}")
        self._source, self.depth, self._name = source, depth, name
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._queue: queue.Queue = queue.Queue(maxsize=max(depth, 1))

    def __enter__(self) -> Iterator:
        if self.depth == 0:
            return iter(self._source)
        self._thread = threading.Thread(target=self._work, name=self._name, daemon=True)
        self._thread.start()
        return self._consume()

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the reader and wait for it (it finishes at most the item it is reading)."""
        self._stop.set()
        if self._thread is not None:
            while self._thread.is_alive():
                self._drain()
                self._thread.join(_POLL_S)
            self._thread = None
        self._drain()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- internals ----------------------------------------------------------------------------
    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def _put(self, entry) -> bool:
        """Put ``entry``, waiting while the queue is full; False once the consumer has stopped."""
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _work(self) -> None:
        it = iter(self._source)
        try:
            for item in it:
                if not self._put((item, None)):
                    return
            self._put((_END, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            self._put((_END, exc))
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    def _consume(self) -> Iterator:
        while True:
            item, exc = self._queue.get()
            if exc is not None:
                raise exc
            if item is _END:
                return
            yield item
