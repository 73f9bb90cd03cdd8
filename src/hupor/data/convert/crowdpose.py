"""CrowdPose json → canonical records (see :mod:`hupor.data.convert.coco`)."""

from .coco import convert_crowdpose

__all__ = ["convert_crowdpose"]
