"""Shared by the plug-in network tests."""

import torch


def overfit_ratio(net, loss_fn, steps: int = 80, lr: float = 3e-3) -> float:
    """Train ``net`` on one fixed batch (``loss_fn(net)`` → scalar) with Adam; final / first loss."""
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    first = loss_fn(net).item()
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(net)
        loss.backward()
        opt.step()
    return loss.item() / first


def light_overlap_round_trip(decode_one) -> dict:
    """CrowdPose AP of ``decode_one(xy (N, 14, 2), vis (N, 14), record) -> (keypoints, scores)`` on 40
    light-overlap scenes of 1-4 people at 256x160 (seed 9700): the decoders' ground-truth round trip."""
    import numpy as np

    from hupor.data.synth import SceneConfig, SkeletonScenes, load_motion_library
    from hupor.eval.crowdpose_gt import records_to_crowdpose
    from hupor.eval.keypoint_ap import keypoint_ap
    from hupor.skeleton import CROWDPOSE14, from_mpi15

    scenes = list(SkeletonScenes(SceneConfig(width=256, height=160, min_people=1, max_people=4, overlap_fraction=0.0,
                                             occluder_prob=0.0, depth_range_mm=(2500.0, 6000.0), border_margin=0.0),
                                 seed=9700, length=40, motion=load_motion_library()))
    dets = []
    for img_id, rec in enumerate(scenes, start=1):
        kp = from_mpi15(np.concatenate([rec.joints_2d, rec.visibility[..., None].astype(float)], -1), CROWDPOSE14)
        xy, vis = np.nan_to_num(kp[..., :2]), np.nan_to_num(kp[..., 2]).astype(int)
        out, score = decode_one(xy, vis, rec)
        dets += [{"image_id": img_id, "category_id": 1, "keypoints": k.reshape(-1).tolist(), "score": float(s)}
                 for k, s in zip(out, score)]
    return keypoint_ap(records_to_crowdpose(scenes), dets, "crowdpose")
