"""Image normalisation for the detector (method §1.1)."""

from __future__ import annotations

import numpy as np
import torch

from ..errors import HuporError

#: ImageNet statistics in **BGR** order (images are read with OpenCV).
MEAN_BGR = (0.406, 0.456, 0.485)
STD_BGR = (0.225, 0.224, 0.229)


def preprocess(image_net_bgr: np.ndarray) -> torch.Tensor:
    """uint8 BGR network-input image (H, W, 3) or batch (B, H, W, 3) → float32 tensor (B, 3, H, W):
    ÷255, minus the BGR mean, divided by the BGR std."""
    img = np.asarray(image_net_bgr)
    if img.dtype != np.uint8:
        raise HuporError(f"preprocess: expected a uint8 image, got dtype {img.dtype}")
    if img.ndim == 3:
        img = img[None]
    if img.ndim != 4 or img.shape[-1] != 3:
        raise HuporError(f"preprocess: expected (H, W, 3) or (B, H, W, 3), got {img.shape}")
    x = torch.from_numpy(np.ascontiguousarray(img)).permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.tensor(MEAN_BGR).view(1, 3, 1, 1)
    std = torch.tensor(STD_BGR).view(1, 3, 1, 1)
    return (x - mean) / std
