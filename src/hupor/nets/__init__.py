"""Networks: visible-keypoint detector, DSED reasoning module, RefineNet, their losses and the model
bundle (checkpoint I/O). See docs/networks.md."""

from .bundle import ModelBundle, build_models, load_bundle, save_bundle
from .config import DetectorConfig, InputConfig, ModelConfig, ReasonerConfig, RefinerConfig, load_model_config
from .detector import Detector, DetectorOutput, DetUnit
from .dsed import DSED, ReasonerOutput, ReasonUnit
from .layout import det_to_maps57, maps57_to_det
from .losses import detector_loss, distill_loss, dsed_loss, omega_extract, unit_levels
from .preprocess import preprocess
from .refinenet import RefineNet, apply_refiner, refine_features

__all__ = [
    "DSED", "DetUnit", "Detector", "DetectorConfig", "DetectorOutput", "InputConfig", "ModelBundle",
    "ModelConfig", "ReasonUnit", "ReasonerConfig", "ReasonerOutput", "RefineNet", "RefinerConfig",
    "apply_refiner", "build_models", "det_to_maps57", "detector_loss", "distill_loss", "dsed_loss",
    "load_bundle", "load_model_config", "maps57_to_det", "omega_extract", "preprocess",
    "refine_features", "save_bundle", "unit_levels",
]
