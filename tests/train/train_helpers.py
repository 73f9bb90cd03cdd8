"""Tiny canonical records with images, shared by the training and data tests; a callback that kills a run."""

import cv2
import lightning as L
import numpy as np

from hupor.camera import Intrinsics
from hupor.records import ImageRecord, RecordSet


def make_records(folder, n_images=4, seed=0, width=120, height=80) -> str:
    """Records with images: each person is drawn as white limb lines on a dark background."""
    from hupor.skeleton import MPI15

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    K = Intrinsics(100.0, 100.0, width / 2, height / 2)
    template = np.array([[0, -30], [0, -45], [0, 0], [-10, -28], [-14, -14], [-16, 0], [-6, 0], [-6, 18],
                         [-6, 35], [10, -28], [14, -14], [16, 0], [6, 0], [6, 18], [6, 35]], float) * 0.8
    recs = []
    for i in range(n_images):
        img = np.full((height, width, 3), 30, np.uint8)
        n = 2
        j2 = np.zeros((n, 15, 2))
        j3 = np.zeros((n, 15, 3))
        for p in range(n):
            centre = np.array([30 + 60 * p + rng.uniform(-5, 5), 40 + rng.uniform(-3, 3)])
            j2[p] = centre + template
            z = 3000.0 + 500 * p + rng.uniform(0, 60, size=15)
            j3[p] = np.concatenate([(j2[p] - K.cx) * z[:, None] / K.fx, z[:, None]], 1)
            for a, b in MPI15.limbs:
                cv2.line(img, tuple(int(v) for v in j2[p, a]), tuple(int(v) for v in j2[p, b]), (255, 255, 255), 2)
        vis = np.full((n, 15), 2)
        vis[0, 5] = 1
        name = f"im{i}.png"
        cv2.imwrite(str(folder / name), img)
        recs.append(ImageRecord(name, width, height, K, j2, j3, vis))
    path = folder / "records.json"
    RecordSet(recs, dataset="tiny").save(path)
    return str(path)


class Killed(RuntimeError):
    pass


class KillAt(L.Callback):
    """Raises :class:`Killed` after training step ``step`` (a killed run, for the resume tests)."""

    def __init__(self, step):
        self.step = step

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if trainer.global_step == self.step:
            raise Killed(f"killed at step {self.step}")
