"""``hupor`` entry point.

Each module in :mod:`hupor.cli` that defines ``register(subparsers)`` adds one subcommand; the parser
it returns must set ``func`` (called with the parsed args, returning an exit code). Subcommand
modules import heavy libraries inside ``func`` so ``hupor --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
import traceback

from .. import __version__
from ..errors import HuporError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hupor", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"hupor {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from .. import cli

    for info in sorted(pkgutil.iter_modules(cli.__path__), key=lambda m: m.name):
        if info.name in ("main",) or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{cli.__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from ..interrupt import Interrupted, install_sigterm

    install_sigterm()  # SIGTERM unwinds (temporary files removed) instead of killing on the spot
    try:
        return int(args.func(args) or 0)
    except Interrupted as exc:
        print(f"hupor {args.command}: interrupted ({exc})", file=sys.stderr)
        return exc.exit_code
    except HuporError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"hupor {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"hupor {args.command}: interrupted (SIGINT)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
