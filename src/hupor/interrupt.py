"""Signals turned into an exception, so an interrupted command cleans up and says so in one line.

Python's default SIGTERM ends the process at once: no ``finally`` runs, so a temporary file being
written (``fileio.write_atomic``, e.g. a video overlay) stays behind until a later run sweeps it.
:func:`install_sigterm` (called by ``hupor``'s entry point) raises :class:`Interrupted` instead, and
:func:`sigint_as_interrupted` does the same for Ctrl-C around code that would swallow a
``KeyboardInterrupt`` (Lightning's ``Trainer.fit`` catches it, prints its own message and calls
``sys.exit``). ``Interrupted`` derives from ``BaseException`` but not from ``KeyboardInterrupt``, so
such handlers let it through after their own clean-up; ``hupor`` prints ``hupor CMD: interrupted
(SIGNAL)`` and exits 128 + the signal number.
"""

from __future__ import annotations

import contextlib
import signal
import threading


class Interrupted(BaseException):
    """A signal (SIGINT / SIGTERM) received while hupor was working; ``signum`` says which."""

    def __init__(self, signum: int):
        self.signum = int(signum)
        super().__init__(signal.Signals(self.signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise(signum, _frame):
    raise Interrupted(signum)


def install_sigterm() -> None:
    """SIGTERM raises :class:`Interrupted` in the main thread (a no-op outside it)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise)


@contextlib.contextmanager
def sigint_as_interrupted():
    """Within the block, Ctrl-C raises :class:`Interrupted` instead of ``KeyboardInterrupt``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
