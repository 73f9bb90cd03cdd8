"""End-to-end benchmark (``hupor bench e2e``): the bundle's rows and the oracle rows on rendered scenes.

    python benchmarks/e2e.py --bundle B --seed S --scenes N [--rows ...] [--no-oracle] [--json F]

Same code and options as ``hupor bench e2e`` (``hupor.bench.e2e``); see docs/results.md.
"""

import sys

from hupor.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["bench", "e2e", *sys.argv[1:]]))
