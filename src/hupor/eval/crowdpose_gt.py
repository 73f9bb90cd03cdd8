"""CrowdPose-format ground truth from canonical records (our synthetic scenes as a CrowdPose test set).

``records_to_crowdpose(records)`` writes what ``hupor eval crowdpose`` (faster-coco-eval,
``keypoints_crowd``) reads: ``images`` with ``crowdIndex``, ``annotations`` with the 14 CrowdPose
keypoints as (x, y, v) px (v = 2 visible, 1 labelled but occluded, 0 outside the image), ``bbox``
(no ``area``, as in CrowdPose's files), ``num_keypoints`` counted as CrowdPose does (labelled joints
among the 12 body joints: head and neck never count, so a person with only those is ignored by the
evaluation), and the category with CrowdPose's keypoint names and skeleton. The MPI15 → CrowdPose
mapping is ``hupor.skeleton.CROWDPOSE14`` (head = MPI15 head_top).

**Crowd index** (Li et al., CrowdPose, CVPR 2019): ``(1/n) Σ_i N_b(i) / N_a(i)``, with ``N_a(i)``
the number of labelled joints of person ``i`` and ``N_b(i)`` the number of labelled joints of the
*other* people inside person ``i``'s box. The box here is the extent of the person's labelled
joints (the synthetic scenes have no hand-drawn boxes); people without labelled joints do not count.
"""

from __future__ import annotations

import numpy as np

from ..plugins.config import LIMBS
from ..skeleton import CROWDPOSE14, from_mpi15, joint_boxes


def crowd_index(xy: np.ndarray, labelled: np.ndarray) -> float:
    """CrowdPose's crowd index of one image: ``xy`` (N, J, 2) px, ``labelled`` (N, J) bool."""
    xy = np.asarray(xy, np.float64)
    lab = np.asarray(labelled, bool)
    box = joint_boxes(xy, lab)
    ratios = []
    for i in range(len(xy)):
        n_a = lab[i].sum()
        if n_a == 0:
            continue
        x0, y0, x1, y1 = box[i]
        others = np.delete(np.arange(len(xy)), i)
        p = xy[others][lab[others]]
        n_b = ((p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)).sum()
        ratios.append(n_b / n_a)
    return float(np.mean(ratios)) if ratios else 0.0


BODY_JOINTS = 12  # CrowdPose's num_keypoints counts the first 12 joints (not head, neck)


def records_to_crowdpose(records) -> dict:
    """A CrowdPose-format ground-truth dict from MPI15 records (a RecordSet or a list of ImageRecords);
    people with no labelled CrowdPose joint are left out (a person with only head and neck labelled
    gets ``num_keypoints = 0``, which the evaluation ignores, as in CrowdPose)."""
    images, annotations = [], []
    for img_id, rec in enumerate(records, start=1):
        kp = from_mpi15(np.concatenate([rec.joints_2d, rec.visibility[..., None].astype(np.float64)], -1),
                        CROWDPOSE14)                                                   # (N, 14, 3)
        v = np.nan_to_num(kp[..., 2]).astype(int)
        inside = (kp[..., 0] >= 0) & (kp[..., 0] < rec.width) & (kp[..., 1] >= 0) & (kp[..., 1] < rec.height)
        v = np.where(np.isfinite(kp[..., :2]).all(-1) & inside, v, 0)
        lab = v > 0
        keep = lab.any(1)
        xy = np.nan_to_num(kp[..., :2])
        images.append({"id": img_id, "file_name": rec.path, "width": int(rec.width), "height": int(rec.height),
                       "crowdIndex": round(crowd_index(xy[keep], lab[keep]), 4)})
        boxes = joint_boxes(xy, lab)
        for p in np.nonzero(keep)[0]:
            x0, y0, x1, y1 = boxes[p]
            trip = np.stack([np.where(lab[p], xy[p, :, 0], 0.0), np.where(lab[p], xy[p, :, 1], 0.0), v[p]], 1)
            annotations.append({
                "id": len(annotations) + 1, "image_id": img_id, "category_id": 1, "iscrowd": 0,
                "keypoints": [round(float(t), 2) for t in trip.reshape(-1)],
                "num_keypoints": int(lab[p, :BODY_JOINTS].sum()),
                "bbox": [round(float(x0), 2), round(float(y0), 2), round(float(x1 - x0), 2), round(float(y1 - y0), 2)]})
    category = {"id": 1, "name": "person", "supercategory": "person", "keypoints": list(CROWDPOSE14.joints),
                "skeleton": [[a + 1, b + 1] for a, b in LIMBS["crowdpose14"]]}
    return {"images": images, "annotations": annotations, "categories": [category]}
