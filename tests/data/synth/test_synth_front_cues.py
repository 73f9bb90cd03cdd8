"""Front/back cues of the rendered people: hair on the back, sides and top of the head, a face (eyes,
mouth) in front, a chest panel; hair that contrasts with the skin."""

import dataclasses

import numpy as np
import pytest

from hupor.data.synth import SceneConfig, load_motion_library, render, sample_scene
from hupor.data.synth.body import NUM_PARTS, PART_NAMES, Primitives
from hupor.data.synth.render import _EYE_BGR, _LIP_BGR, _front_cues
from hupor.data.synth.scene import _clothing
from hupor.data.synth.scene import _front_cues as draw_cues


def _one_person(facing_camera: bool) -> Primitives:
    """A person 5 m away, upright (neck above pelvis), left hip at +x (facing the camera) or -x."""
    a = np.zeros((NUM_PARTS, 3)) + [0, 0, 5000.0]
    b = a.copy()
    side = 100.0 if facing_camera else -100.0
    a[PART_NAMES.index("l_torso")] = [side, 0, 5000]
    a[PART_NAMES.index("r_torso")] = [-side, 0, 5000]
    b[PART_NAMES.index("spine")] = [0, -500, 5000]
    a[PART_NAMES.index("head")] = b[PART_NAMES.index("head")] = [0, -700, 5000]
    z3 = np.zeros((0, 3))
    return Primitives(a=a, b=b, radius=np.full(NUM_PARTS, 50.0), owner=np.zeros(NUM_PARTS, np.int64),
                      part=np.arange(NUM_PARTS), colour=np.full((NUM_PARTS, 3), 0.5), box_centre=z3,
                      box_axes=np.zeros((0, 3, 3)), box_half=z3, box_colour=z3,
                      hair=np.array([[0.1, 0.1, 0.1]]), chest=np.array([[0.9, 0.0, 0.0]]))


def test_forward_points_where_the_person_faces():
    np.testing.assert_allclose(_one_person(True).forward(), [[0, 0, -1]], atol=1e-12)
    np.testing.assert_allclose(_one_person(False).forward(), [[0, 0, 1]], atol=1e-12)


def test_hair_behind_and_on_top_skin_in_front_panel_on_the_chest():
    pr = _one_person(True)                       # faces -z (the camera)
    head, spine = PART_NAMES.index("head"), PART_NAMES.index("spine")
    ci = np.array([head, head, head, spine, spine])
    normal = np.array([[0, 0, -2.0],             # head, front: skin
                       [0, 0, 3.0],              # head, back: hair
                       [0, -1.0, -0.1],          # head, top (up = -y): hair
                       [0, 0, -1.0],             # chest front: panel
                       [1.0, 0, 0]])             # torso side: shirt
    out = _front_cues(pr, ci, normal, np.full((5, 3), 0.5))
    np.testing.assert_allclose(out, [[0.5] * 3, [0.1] * 3, [0.1] * 3, [0.9, 0, 0], [0.5] * 3])


@pytest.mark.parametrize("index", [0, 1])
def test_cues_change_only_heads_and_torsos(index):
    scene = sample_scene(SceneConfig(width=320, height=192), load_motion_library(), seed=4, index=index)
    with_cues = render(scene, ids=True)
    plain = dataclasses.replace(scene, prims=dataclasses.replace(scene.prims, hair=None, chest=None))
    without = render(plain)
    changed = np.abs(with_cues.image.astype(int) - without.image).max(axis=2) > 12
    assert changed.sum() > 20                    # the cues show
    near_person = with_cues.ids >= 0
    grown = near_person.copy()                   # the 3x3 blur spreads a change by one pixel
    grown[1:] |= near_person[:-1]; grown[:-1] |= near_person[1:]
    grown[:, 1:] |= grown[:, :-1].copy(); grown[:, :-1] |= grown[:, 1:].copy()
    assert not (changed & ~grown).any()


def test_face_has_eyes_and_a_mouth_in_front_only():
    pr = _one_person(True)                       # faces -z; up = -y; lateral = up x fwd = +-x
    head = PART_NAMES.index("head")
    normal = np.array([[0.3, -0.2, -0.93],       # front, above the middle, off to one side: an eye
                       [-0.3, -0.2, -0.93],      # the other eye
                       [0.0, 0.4, -0.92],        # front, below the middle: the mouth
                       [0.0, -0.2, -0.98],       # front, between the eyes: skin
                       [0.3, -0.2, 0.93]])       # the same height at the back: hair
    out = _front_cues(pr, np.full(5, head), normal, np.full((5, 3), 0.5))
    np.testing.assert_allclose(out, [_EYE_BGR, _EYE_BGR, _LIP_BGR, [0.5] * 3, [0.1] * 3])
    back = _front_cues(_one_person(False), np.full(5, head), normal, np.full((5, 3), 0.5))
    np.testing.assert_allclose(back[:4], [[0.1] * 3] * 4)   # a person facing away: hair where the face was
    np.testing.assert_allclose(back[4], _EYE_BGR)            # and an eye on the side that now faces front


def test_hair_contrasts_with_the_skin():
    rng = np.random.default_rng(0)
    clothing = _clothing(rng, 400)
    hair, _ = draw_cues(rng, clothing)
    lum = np.array([0.114, 0.587, 0.299])
    skin = clothing[:, PART_NAMES.index("head")] @ lum
    assert (np.abs(hair @ lum - skin) >= 0.15).all()
