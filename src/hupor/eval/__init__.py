"""Evaluation: MuPoTS-3D (official protocol), Human3.6M MPJPE / PA-MPJPE, COCO / CrowdPose keypoint AP."""

from .mupots import GTFrame, MupotsResult, PredFrame, evaluate_mupots

__all__ = ["GTFrame", "MupotsResult", "PredFrame", "evaluate_mupots"]
