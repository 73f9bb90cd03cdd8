"""The front/back probe: how well the rendered people show which way they face, at a given input size.

A diagnostic of the learning issue (docs/training.md): left and right can only be learned where the
image tells a person's front from their back. Person crops are cut from rendered scenes *after*
scaling the image to the network input (``net_w`` px wide, the scale the detector sees), resized to
one fixed crop size, and a small CNN (3 conv layers) is trained to tell whether the person faces the
camera; its accuracy on held-out people measures how readable the cue is at that scale (chance: the
majority share, reported beside it).

Facing: ``f = (l_hip − r_hip) × (neck − pelvis)`` in the camera frame (x right, y down, z forward)
points where the person faces; a person faces the camera when ``f · (−pelvis) > 0``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

CROP_W, CROP_H = 48, 96   # probe input (px), whatever the scale the crop was cut at


def facing_camera(joints_3d: np.ndarray, skeleton) -> np.ndarray:
    """(N, J, 3) mm camera frame → (N,) bool: the person faces the camera."""
    ix = skeleton.joints.index
    f = np.cross(joints_3d[:, ix("l_hip")] - joints_3d[:, ix("r_hip")],
                 joints_3d[:, ix("neck")] - joints_3d[:, ix("pelvis")])
    return np.einsum("ni,ni->n", f, -joints_3d[:, ix("pelvis")]) > 0


def person_crops(image: np.ndarray, record, net_w: int, skeleton, min_visible: int = 10,
                 min_height_px: float = 8.0) -> tuple[np.ndarray, np.ndarray]:
    """Crops (K, CROP_H, CROP_W, 3) uint8 and labels (K,) bool (faces the camera) of the record's
    people with at least ``min_visible`` visible joints (head_top and neck among them), cut from the
    image scaled to ``net_w`` px wide, each at least ``min_height_px`` tall there."""
    import cv2

    s = net_w / image.shape[1]
    small = cv2.resize(image, (net_w, int(round(image.shape[0] * s))), interpolation=cv2.INTER_AREA)
    ix = skeleton.joints.index
    crops, labels = [], []
    face = facing_camera(record.joints_3d, skeleton) if record.num_persons else np.zeros(0, bool)
    for p in range(record.num_persons):
        vis = record.visibility[p] == 2
        if vis.sum() < min_visible or not (vis[ix("head_top")] and vis[ix("neck")]):
            continue
        xy = record.joints_2d[p, vis] * s
        (x0, y0), (x1, y1) = xy.min(0), xy.max(0)
        h = max(y1 - y0, 1.0)
        if h < min_height_px:
            continue
        cx, cy, half_h = (x0 + x1) / 2, (y0 + y1) / 2, 0.6 * h
        src = np.float32([[cx - half_h / 2, cy - half_h], [cx + half_h / 2, cy - half_h], [cx - half_h / 2, cy + half_h]])
        dst = np.float32([[0, 0], [CROP_W, 0], [0, CROP_H]])
        crops.append(cv2.warpAffine(small, cv2.getAffineTransform(src, dst), (CROP_W, CROP_H),
                                    flags=cv2.INTER_LINEAR, borderValue=(128, 128, 128)))
        labels.append(bool(face[p]))
    return (np.stack(crops) if crops else np.zeros((0, CROP_H, CROP_W, 3), np.uint8)), np.array(labels, bool)


def _probe_net() -> nn.Module:
    def block(i, o):
        return [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2)]

    return nn.Sequential(*block(3, 16), *block(16, 32), *block(32, 64), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(64, 1))


def train_probe(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
                steps: int = 1500, batch: int = 32, seed: int = 0) -> dict:
    """Train the probe CNN (Adam 1e-3, horizontal flips: a mirrored person faces the same way) and
    return ``{"accuracy", "chance", "train", "test"}`` on the test crops."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = _probe_net()
    opt = torch.optim.Adam(net.parameters(), 1e-3)

    def tensor(x):
        return torch.from_numpy(x).permute(0, 3, 1, 2).float().div(255.0).sub(0.5)

    xs, ys = tensor(train_x), torch.from_numpy(train_y.astype(np.float32))
    net.train()
    for _ in range(steps):
        idx = torch.randint(0, len(xs), (batch,), generator=g)
        xb = xs[idx]
        flip = torch.rand(batch, generator=g) < 0.5
        xb = torch.where(flip[:, None, None, None], xb.flip(-1), xb)
        loss = nn.functional.binary_cross_entropy_with_logits(net(xb)[:, 0], ys[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        pred = torch.cat([net(tensor(test_x[i:i + 256]))[:, 0] for i in range(0, len(test_x), 256)]) > 0
    acc = float((pred.numpy() == test_y).mean()) if len(test_y) else float("nan")
    chance = float(max(test_y.mean(), 1 - test_y.mean())) if len(test_y) else float("nan")
    return {"accuracy": acc, "chance": chance, "train": int(len(train_y)), "test": int(len(test_y))}
