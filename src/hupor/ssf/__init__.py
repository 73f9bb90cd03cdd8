"""SSF: pseudo occlusion labels for data that has none (HUPOR supplement §2.2, Fig. 6).

Built so far: the label step with the built-in capsule body (``capsule.py``: the renderer's 17
capsules rebuilt from a person's 15 MPI15 joints; ``labels.py``: every person's body in one scene,
each joint labelled visible / occluded (person, self, object with a mask) / truncated by the
generator's own ray rule; ``labels2d.py``: the same from 2D joints and an instance mask, the body
lifted from the 2D). Not yet: ShapeInit / ShapeOpt (fitting shape and pose from images and masks), SMPL.
docs/ssf.md.
"""

from .capsule import SCALE_PER_BONE_MM, capsule_points
from .labels import label_people, relabel_records
from .labels2d import label_people_2d

__all__ = ["SCALE_PER_BONE_MM", "capsule_points", "label_people", "label_people_2d", "relabel_records"]
