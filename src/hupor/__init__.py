"""hupor: bottom-up multi-person 3D human pose estimation with explicit occlusion reasoning.

Units and frames everywhere: 3D in millimetres, camera frame (x right, y down, z forward); 2D in
pixels of the original image; the intrinsics used are written into every output.
"""

from .camera import Intrinsics, Letterbox
from .errors import HuporError
from .records import ImageRecord, RecordSet
from .skeleton import MPI15, Skeleton
from .version import __version__

__all__ = ["HuporError", "ImageRecord", "Intrinsics", "Letterbox", "MPI15", "RecordSet", "Skeleton",
           "__version__"]


def __getattr__(name):  # lazy: the predictor pulls in torch and the networks
    if name == "Predictor":
        from .predictor import Predictor

        return Predictor
    raise AttributeError(name)
