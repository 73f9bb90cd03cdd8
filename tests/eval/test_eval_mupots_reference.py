"""Cross-check the vectorised MuPoTS code against a literal, loop-by-loop transcription of the kit."""

import numpy as np
import pytest

from hupor.eval.mupots import GTFrame, PredFrame, evaluate_frame, evaluate_mupots

O1 = [2, 16, 2, 3, 4, 2, 6, 7, 15, 9, 10, 15, 12, 13, 15, 15, 2]           # 1-based parents
TRAVERSAL = [16, 2, 1, 17, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]          # safe_traversal_order(2:end)


def reference_frame(gt2d, gt3d, pred2d, pred3d, relative):
    """1-based transcription of mpii_mupots_multiperson_eval.m for one frame (MATLAB column layout)."""
    matching = list(range(2, 15))
    n_gt, n_pred = len(gt2d), len(pred2d)
    used = [False] * n_pred
    match = [0] * n_gt
    for k in range(n_gt):
        best, best_j = 0, 0
        for j in range(n_pred):
            if used[j]:
                continue
            score = 0
            for m in matching:
                px, py = pred2d[j][m - 1]
                if px == 0 and py == 0:
                    continue
                if abs(px - gt2d[k][m - 1][0]) < 40 and abs(py - gt2d[k][m - 1][1]) < 40:
                    score += 1
            if score > best:
                best, best_j = score, j + 1
        if best > 0:
            match[k] = best_j
            used[best_j - 1] = True
    errors = []
    for k in range(n_gt):
        P = [list(p) for p in gt3d[k]]
        if relative:
            P = [[P[j][c] - gt3d[k][14][c] for c in range(3)] for j in range(17)]
        if match[k]:
            q = [list(p) for p in pred3d[match[k] - 1]]
            if relative:
                root = list(q[14])
                q = [[q[j][c] - root[c] for c in range(3)] for j in range(17)]
            mapped = [list(p) for p in q]
            for j in TRAVERSAL:
                par = O1[j - 1]
                L = np.sqrt(sum((P[j - 1][c] - P[par - 1][c]) ** 2 for c in range(3)))
                d = [q[j - 1][c] - q[par - 1][c] for c in range(3)]
                n = np.sqrt(sum(x * x for x in d))
                mapped[j - 1] = [mapped[par - 1][c] + d[c] * L / n for c in range(3)]
        else:
            mapped = [[100000.0] * 3 for _ in range(17)]
        errors.append([np.sqrt(sum((mapped[j][c] - P[j][c]) ** 2 for c in range(3))) for j in range(17)])
    return np.array(errors), [m - 1 for m in match]


@pytest.mark.parametrize("relative", [True, False])
def test_eval_vectorised_equals_literal_transcription(rng, relative):
    for trial in range(15):
        n_gt, n_pred = rng.integers(1, 5), rng.integers(0, 6)
        gt3 = rng.uniform(-600, 600, (n_gt, 17, 3)) + [0, 0, 4000]
        gt2 = rng.uniform(0, 300, (n_gt, 17, 2)) + rng.uniform(0, 200, (n_gt, 1, 2))
        src = rng.integers(0, n_gt, n_pred)
        pred2 = gt2[src] + rng.normal(0, 30, (n_pred, 17, 2))
        pred2[rng.random((n_pred, 17)) < 0.15] = 0.0                      # undetected joints
        pred3 = gt3[src] * rng.uniform(0.8, 1.2) + rng.normal(0, 80, (n_pred, 17, 3))
        ref_e, ref_m = reference_frame(gt2, gt3, pred2, pred3, relative)
        gt = GTFrame("TS1/img_000000.jpg", "TS1", gt2, gt3, np.zeros((n_gt, 17), bool))
        e, m, _ = evaluate_frame(gt, PredFrame(pred2, pred3), "mupots17", relative)
        assert m.tolist() == ref_m
        np.testing.assert_allclose(e, ref_e, rtol=1e-9, atol=1e-6)


def test_eval_mupots17_completes_15_joint_predictions(rng):
    gt3 = rng.uniform(-600, 600, (1, 17, 3)) + [0, 0, 4000]
    gt3[0, 15] = (gt3[0, 14] + gt3[0, 1]) / 2                            # spine on the pelvis-neck line
    gt3[0, 16] = (gt3[0, 1] + gt3[0, 0]) / 2
    gt2 = gt3[..., :2] / gt3[..., 2:] * 1500 + 1000
    mpi = [1, 0, 14, 5, 6, 7, 11, 12, 13, 2, 3, 4, 8, 9, 10]
    gt = GTFrame("TS1/img_000000.jpg", "TS1", gt2, gt3, np.zeros((1, 17), bool))
    res = evaluate_mupots([gt], [(gt2[:, mpi], 1.3 * gt3[:, mpi])], variant="mupots17")
    assert res.modes["matched"].pooled.mpjpe == pytest.approx(0.0, abs=1e-6)
