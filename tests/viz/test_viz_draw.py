"""viz on pixels: the overlay draws each joint where it is, in its person's (or track's) colour, with the
state's mark (filled disc / ring / nothing), limbs solid, dashed or absent; the 3D plot draws each
person in its colour; the contact sheet marks visible and occluded labels."""

import numpy as np

from hupor.camera import Intrinsics
from hupor.records import CAUSE_CODE, ImageRecord
from hupor.schema import MISSING, OCCLUDED_INFERRED, VISIBLE, Prediction
from hupor.skeleton import MPI15
from hupor.viz.overlay import PALETTE, draw_overlay
from hupor.viz.plot3d import figure_3d
from hupor.viz.sheet import _CAUSE_BGR, _PERSON_BGR, draw_record

J = {n: i for i, n in enumerate(MPI15.joints)}
# one standing person, joints >= 30 px apart (image px)
BODY = {"neck": (200, 100), "head_top": (200, 40), "pelvis": (200, 240), "l_shoulder": (260, 110),
        "l_elbow": (300, 170), "l_wrist": (330, 230), "l_hip": (240, 250), "l_knee": (250, 340),
        "l_ankle": (255, 430), "r_shoulder": (140, 110), "r_elbow": (100, 170), "r_wrist": (70, 230),
        "r_hip": (160, 250), "r_knee": (150, 340), "r_ankle": (145, 430)}
W, H = 800, 480                                  # overlay: line thickness 2, joint radius 4


def prediction(track_ids=None):
    """Person 0 as BODY (l_wrist inferred, r_ankle missing); person 1 the same 400 px to the right."""
    j2 = np.array([BODY[n] for n in MPI15.joints], float)
    j2 = np.stack([j2, j2 + [400, 0]])
    state = np.full((2, 15), VISIBLE, np.int8)
    state[:, J["l_wrist"]] = OCCLUDED_INFERRED
    state[:, J["r_ankle"]] = MISSING
    j2[state == MISSING] = np.nan
    j3 = np.concatenate([j2 * 10, np.full((2, 15, 1), 4000.0)], -1)
    j3[:, :, 2] += np.array([0, 2000])[:, None]
    return Prediction("x.png", W, H, Intrinsics(500, 500, W / 2, H / 2), "K", j2, j3,
                      np.where(state == MISSING, 0, 0.9), state, j3[:, 2, 2], np.full(2, 0.9),
                      track_ids=track_ids)


def px(img, x, y):
    return tuple(int(c) for c in img[int(round(y)), int(round(x))])


def coloured(img, x, y, half=6):
    """Pixels that are not background in the (2·half+1)² window around (x, y)."""
    win = img[int(y) - half:int(y) + half + 1, int(x) - half:int(x) + half + 1]
    return int((win.sum(-1) > 0).sum())


def test_overlay_marks_each_joint_and_limb_by_state():
    black = np.zeros((H, W, 3), np.uint8)
    img = draw_overlay(black, prediction(), labels=False)
    assert not black.any()                                   # drawn on a copy
    for p, dx in ((0, 0), (1, 400)):
        col = PALETTE[p]
        for name in ("neck", "pelvis", "l_knee", "r_wrist", "head_top"):   # visible: filled disc
            x, y = BODY[name]
            for ox, oy in ((0, 0), (2, 0), (0, -2), (-1, 1)):
                assert px(img, x + dx + ox, y + oy) == col, (p, name)
        x, y = BODY["l_wrist"]                                   # inferred: a ring, hollow centre
        assert px(img, x + dx, y) == (0, 0, 0)
        assert all(px(img, x + dx + ox, y + oy) == col for ox, oy in ((4, 0), (-4, 0), (0, 4), (0, -4)))
        x, y = BODY["r_ankle"]                                   # missing: nothing there
        assert coloured(img, x + dx, y) == 0
        kx, ky = BODY["r_knee"]                                  # its limb is not drawn
        assert coloured(img, (kx + x) / 2 + dx, (ky + y) / 2, half=3) == 0
        a, b = np.array(BODY["neck"], float), np.array(BODY["pelvis"], float)
        for t in np.linspace(0.2, 0.8, 7):                       # visible limb: solid
            assert px(img, *(a + t * (b - a) + [dx, 0])) == col
        a, b = np.array(BODY["l_elbow"], float), np.array(BODY["l_wrist"], float)
        u = (b - a) / np.linalg.norm(b - a)                      # inferred end: dashes of 12 px
        assert px(img, *(a + 6 * u + [dx, 0])) == col and px(img, *(a + 30 * u + [dx, 0])) == col
        assert px(img, *(a + 18 * u + [dx, 0])) == (0, 0, 0) and px(img, *(a + 42 * u + [dx, 0])) == (0, 0, 0)
    assert len({px(img, *BODY["neck"]), px(img, BODY["neck"][0] + 400, BODY["neck"][1])}) == 2


def test_overlay_colour_follows_the_track_and_labels_sit_above_the_head():
    img = draw_overlay(np.zeros((H, W, 3), np.uint8), prediction(np.array([7, -1])), labels=False)
    x, y = BODY["pelvis"]
    assert px(img, x, y) == PALETTE[7] and px(img, x + 400, y) == PALETTE[1]    # untracked: by index
    labelled = draw_overlay(np.zeros((H, W, 3), np.uint8), prediction(), labels=True)
    top = BODY["head_top"][1] - 8                                # label baseline: 2 radii above the top joint
    above = labelled[:top + 1, 60:340]
    assert (above == PALETTE[0]).all(-1).sum() > 20 and not img[:top + 1].any()


def test_plot3d_draws_each_person_in_its_colour():
    pred = prediction()

    def counts(pr):
        fig = figure_3d(pr)
        fig.canvas.draw()
        rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
        return [int((rgb == PALETTE[p][::-1]).all(-1).sum()) for p in range(2)]

    both = counts(pred)
    assert min(both) > 50
    gone = prediction()
    gone.joint_state[1] = MISSING
    only0 = counts(gone)
    assert only0[0] > 50 and only0[1] == 0


def test_contact_sheet_marks_visible_and_occluded_labels():
    j2 = np.array([BODY[n] for n in MPI15.joints], float)[None] / 2
    vis = np.full((1, 15), 2, np.int8)
    vis[0, J["l_wrist"]] = 1
    vis[0, J["r_ankle"]] = 0
    cause = np.zeros((1, 15), np.int8)
    cause[0, J["l_wrist"]] = CAUSE_CODE["object"]
    rec = ImageRecord("a.png", 200, 240, Intrinsics(250, 250, 100, 120), j2, np.zeros((1, 15, 3)), vis, cause)
    img = draw_record(np.zeros((240, 200, 3), np.uint8), rec, scale=2.0)
    assert img.shape == (480, 400, 3)
    x, y = BODY["pelvis"]
    assert px(img, x, y) == _PERSON_BGR[0]                     # visible: the person's colour, at 2x
    x, y = BODY["l_wrist"]
    assert px(img, x + 7, y) == _CAUSE_BGR[CAUSE_CODE["object"]]  # occluded: a ring in the cause colour
    assert px(img, x, y) != _CAUSE_BGR[CAUSE_CODE["object"]]
    x, y = BODY["r_ankle"]
    assert coloured(img, x, y, half=4) == 0
