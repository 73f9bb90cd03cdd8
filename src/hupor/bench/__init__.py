"""The synthetic occlusion benchmark (docs/results.md): a fixed definition of train/val/test splits,
an evaluator with the MuPoTS-style metrics, and the runners of the ablation table."""

from .definition import (BenchSpec, PreparedScene, gt_root_depth, oracle_maps, prepare_scenes, split_scenes,
                         split_stats)
from .evaluate import METRIC_KEYS, evaluate_predictions

__all__ = ["BenchSpec", "PreparedScene", "gt_root_depth", "oracle_maps", "prepare_scenes", "split_scenes", "split_stats",
           "METRIC_KEYS", "evaluate_predictions"]
