"""Matplotlib 3D plot of predicted people in the camera frame (mm), rendered off-screen (Agg).

Axes are the camera frame: X right, Z forward (depth) and Y down; the Y axis is inverted on screen so
people stand upright. The camera sits at the origin (black triangle). Line styles follow the overlay:
solid limbs between visible joints, dashed where a joint was inferred, missing joints not drawn.
"""

from __future__ import annotations

import numpy as np

from ..schema import MISSING, VISIBLE, Prediction
from ..skeleton import MPI15, Skeleton


def _rgb(bgr):
    return (bgr[2] / 255.0, bgr[1] / 255.0, bgr[0] / 255.0)


def figure_3d(pred: Prediction, skeleton: Skeleton = MPI15, title: str | None = None):
    """Build a matplotlib Figure (not attached to pyplot, so no GUI backend is touched)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .overlay import PALETTE

    fig = Figure(figsize=(6.4, 5.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(projection="3d")
    shown_pts = [np.zeros((1, 3))]
    for p in range(pred.num_persons):
        color = _rgb(PALETTE[p % len(PALETTE)])
        state = pred.joint_state[p]
        xyz = pred.joints_3d[p]
        for a, b in skeleton.limbs:
            if state[a] == MISSING or state[b] == MISSING:
                continue
            style = "-" if state[a] == VISIBLE and state[b] == VISIBLE else "--"
            ax.plot([xyz[a, 0], xyz[b, 0]], [xyz[a, 2], xyz[b, 2]], [xyz[a, 1], xyz[b, 1]],
                    style, color=color, linewidth=1.6)
        vis = state == VISIBLE
        inf = (state != VISIBLE) & (state != MISSING)
        ax.scatter(xyz[vis, 0], xyz[vis, 2], xyz[vis, 1], color=color, s=10, depthshade=False)
        ax.scatter(xyz[inf, 0], xyz[inf, 2], xyz[inf, 1], facecolors="none", edgecolors=[color], s=14,
                   depthshade=False)
        if (state != MISSING).any():
            shown_pts.append(xyz[state != MISSING])
    ax.scatter([0], [0], [0], marker="^", color="k", s=30)
    pts = np.concatenate(shown_pts)
    lo, hi = pts.min(0), pts.max(0)
    pad = 0.05 * float(np.max(hi - lo)) + 100.0
    lo, hi = lo - pad, hi + pad
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[2], hi[2])
    ax.set_zlim(hi[1], lo[1])  # Y points down in the camera frame: invert so people stand upright
    ax.set_box_aspect((hi[0] - lo[0], hi[2] - lo[2], hi[1] - lo[1]))
    ax.set_xlabel("X right (mm)")
    ax.set_ylabel("Z forward (mm)")
    ax.set_zlabel("Y down (mm)")
    ax.view_init(elev=15, azim=-70)
    ax.set_title(title or f"{pred.num_persons} people, camera frame (mm)", fontsize=10)
    return fig


def save_plot_3d(path, pred: Prediction, skeleton: Skeleton = MPI15, title: str | None = None):
    """Render :func:`figure_3d` and write it atomically (format from the suffix, e.g. ``.png``)."""
    from ..fileio import write_atomic

    fig = figure_3d(pred, skeleton, title)
    return write_atomic(path, lambda tmp: fig.savefig(str(tmp), bbox_inches="tight"))
