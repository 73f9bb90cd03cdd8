"""SSF: pseudo occlusion labels for data that has none (HUPOR supplement §2.2, Fig. 6).

* ``capsule.py`` / ``body.py``: the renderer's capsule body, rebuilt from 15 MPI15 joints, and as a
  differentiable parametric model (shape, pose, Skeleton2Pose, soft silhouette); ``smpl.py``: SMPL
  through ``smplx`` with the user's own model files;
* ``labels.py``: every person's body in one scene, each joint labelled visible / occluded (person,
  self, object with a mask) / truncated by the generator's own ray rule; ``relabel.py``: a record set
  relabelled through ``labels.py`` or ``labels2d.py`` (``hupor ssf``);
* ``labels2d.py``: the same from 2D joints and an instance mask (depth order from the mask), the
  body lifted from the 2D or fitted by ShapeInit + ShapeOpt (``nets.py``, ``crops.py``, ``train.py``,
  ``fit.py``).

docs/ssf.md.
"""

from .capsule import SCALE_PER_BONE_MM, capsule_points
from .labels import label_people
from .labels2d import label_people_2d
from .relabel import relabel_records

__all__ = ["SCALE_PER_BONE_MM", "capsule_points", "label_people", "label_people_2d", "relabel_records"]
