"""Data: synthetic scenes (:mod:`hupor.data.synth`), converters and datasets over canonical records."""
