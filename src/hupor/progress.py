"""Progress bars for long CLI work: shown on stderr only when it is a terminal (and not
``--no-progress``), so logs and pipes stay clean."""

from __future__ import annotations

import sys


def enabled(no_progress: bool = False) -> bool:
    """Whether to draw bars: stderr is a terminal and the user did not pass ``--no-progress``."""
    return not no_progress and sys.stderr.isatty()


def bar(iterable=None, total=None, desc: str = "", unit: str = "it", show: bool = True):
    """A tqdm bar on stderr (``show`` False: a silent one with the same interface)."""
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, disable=not show, leave=False)


def add_flag(parser) -> None:
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (bars are drawn only when stderr is a terminal)")
