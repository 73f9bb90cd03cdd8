"""Schema-complete ``hupor-poses`` documents for evaluation tests (``hupor.schema.validate_poses``)."""

from hupor.skeleton import MPI15


def person(j2, j3, score=1.0):
    """One person: ``j2`` (15 x [x, y]) and ``j3`` (15 x [X, Y, Z]) lists; a joint is missing where both are None."""
    state = ["missing" if a is None else "visible" for a in j2]
    return {"id": 0, "score": score, "root_depth_mm": float(j3[2][2]) if j3[2] is not None else 1000.0,
            "joints_2d_px": j2, "joint_scores": [0.0 if s == "missing" else 1.0 for s in state],
            "joints_3d_mm": j3, "joint_state": state}


def image_doc(path, persons, width=2048, height=2048, frame=None):
    return {"format": "hupor-poses", "version": 1,
            "image": {"path": path, "width": width, "height": height, "frame": frame},
            "intrinsics": {"fx": 1500.0, "fy": 1500.0, "cx": width / 2, "cy": height / 2, "source": "default"},
            "skeleton": {"name": "mpi15", "joints": list(MPI15.joints), "limbs": [list(ab) for ab in MPI15.limbs]},
            "units": {}, "model": {"name": "test"}, "persons": persons}
