"""The package version (its own module, so core modules read it without importing the package's
``__init__``, whose lazy ``Predictor`` would close an import cycle)."""

__version__ = "0.1.0"
