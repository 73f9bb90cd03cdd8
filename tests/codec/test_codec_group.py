import numpy as np

from hupor.codec.group import _greedy, group_people
from hupor.codec.paf import candidate_pairs, pair_scores
from hupor.codec.peaks import Peaks
from hupor.skeleton import MPI15


def greedy_reference(total):
    used, out = set(), []
    for row in total:
        pick = -1
        for c in np.argsort(-row, kind="stable"):
            if row[c] <= 0:
                break
            if c not in used:
                used.add(int(c))
                pick = int(c)
                break
        out.append(pick)
    return out


def test_vectorised_greedy_matches_sequential(rng):
    for _ in range(200):
        m, n = rng.integers(1, 8), rng.integers(1, 8)
        total = np.where(rng.random((m, n)) < 0.3, -np.inf, rng.integers(-2, 4, (m, n)) / 3.0)
        assign = np.full((m, 1), -1)
        _greedy(total, np.arange(m), assign, 0, 0)
        assert list(assign[:, 0]) == greedy_reference(total)


def pair_scores_reference(maps, x_ch, scale, xy, ia, ib):
    _, h, w = maps.shape
    out = []
    for ch, i, j in zip(x_ch, ia, ib):
        a, b = xy[i], xy[j]
        d = b - a
        ln = np.hypot(*d)
        u = d / ln if ln > 0 else np.zeros(2)
        n = int(np.clip(np.rint(np.sqrt(5 * np.abs(d).max())), 5, 25))
        s = []
        for t in range(n):
            p = a + (t + 0.5) / n * d
            c = int(np.clip(np.floor(p[0] + 0.5), 0, w - 1))
            r = int(np.clip(np.floor(p[1] + 0.5), 0, h - 1))
            s.append((maps[ch, r, c] * u[0] + maps[ch + 1, r, c] * u[1]) / scale)
        s = np.array(s)
        kept = s[s > 0.05]
        if len(kept) > 0.95 * n:
            out.append(kept.mean())
        else:
            out.append(0.1 + 1e-6 if ln < np.sqrt(w * h) / 150 else -1.0)
    return np.array(out)


def assert_random_pairs_match(rng, maps, xy, n_pairs, p_limb0, min_passing):
    """Random pairs of ``xy`` on limb 0 (channels 0, 1) or limb 1 (2, 3) score as the plain loop does."""
    ia, ib = rng.integers(0, len(xy), n_pairs), rng.integers(0, len(xy), n_pairs)
    ch = np.where(rng.random(n_pairs) < p_limb0, 0, 2)
    got, _ = pair_scores(maps, ch, 127.0, xy, ia, ib)
    np.testing.assert_allclose(got, pair_scores_reference(maps, ch, 127.0, xy, ia, ib), rtol=1e-9)
    assert (got > 0).sum() > min_passing


def test_pair_scores_match_the_unoptimised_rule(rng):
    h, w = 40, 60
    maps = np.zeros((4, h, w), np.float32)
    maps[0, 5:20, 5:50] = 127.0  # limb 0: +x
    maps[2:4] = rng.normal(0, 80, size=(2, h, w))  # limb 1: noise
    maps[2, 10:12, :] = 127.0
    xy = rng.uniform(0.0, [w - 1, h - 1], size=(40, 2))
    xy[:5, 1] = 10.2  # some points on the +x strip
    assert_random_pairs_match(rng, maps, xy, n_pairs=400, p_limb0=0.5, min_passing=10)


def test_pair_scores_long_pairs_may_miss_one_sample(rng):
    # pairs with N ≥ 21 samples (max(|dx|, |dy|) ≥ 84 px) pass with one failed sample, not two
    h, w = 20, 260
    maps = np.zeros((2, h, w), np.float32)
    maps[0, 10, 5:250] = 127.0  # +x strip along row 10
    one_gap, two_gaps = maps.copy(), maps.copy()
    xy = np.array([[10.0, 10.0], [240.0, 10.0]])  # N = 25 samples at x = 10 + 9.2 (t + 0.5)
    one_gap[0, 10, 125] = 0.0  # sample t = 12
    two_gaps[0, 10, [61, 125]] = 0.0  # samples t = 5 and 12
    ia, ib, ch = np.array([0]), np.array([1]), np.zeros(1, np.int64)
    for m, passes in ((maps, True), (one_gap, True), (two_gaps, False)):
        got, _ = pair_scores(m, ch, 127.0, xy, ia, ib)
        np.testing.assert_allclose(got, pair_scores_reference(m, ch, 127.0, xy, ia, ib), rtol=1e-9)
        assert (got[0] > 0) == passes
    # and random long and short pairs on a wide map agree with the plain loop
    noisy = rng.normal(0, 60, size=(4, h, w)).astype(np.float32)
    noisy[0, 8:13, :] = 127.0
    pts = np.column_stack([rng.uniform(0, w - 1, 60), rng.choice([9.6, 10.0, 11.4, 3.0], 60)])
    assert_random_pairs_match(rng, noisy, pts, n_pairs=600, p_limb0=0.7, min_passing=20)


def test_candidate_pairs_layout(rng):
    j = MPI15.num_joints
    counts = rng.integers(0, 4, j)
    counts[3] = 0  # a joint without candidates
    start = np.concatenate([[0], np.cumsum(counts)])
    channel = np.repeat(np.arange(j), counts)
    pk = Peaks(channel, rng.uniform(0, 50, (len(channel), 2)), np.ones(len(channel)), start)
    limbs = np.asarray(MPI15.limbs)
    limb, ia, ib, off = candidate_pairs(pk, limbs)
    want = [(k, a, b) for k, (ja, jb) in enumerate(limbs)
            for a in range(start[ja], start[ja + 1]) for b in range(start[jb], start[jb + 1])]
    assert list(zip(limb.tolist(), ia.tolist(), ib.tolist())) == want
    assert list(np.diff(off)) == [counts[a] * counts[b] for a, b in limbs]


def test_group_people_bone_prior_and_depth_order():
    # two pelvis peaks; person 0 (near) gets the neck closest to its expected bone length
    j = MPI15.num_joints
    xy = np.array([[10.5, 20.5], [30.5, 20.5],  # pelvis candidates
                   [10.5, 10.5], [10.5, 0.9]])  # neck candidates: 10 px and ~20 px above pelvis 0
    channel = np.array([2, 2, 0, 0])
    counts = np.bincount(channel, minlength=j)
    order = np.lexsort((np.arange(4), channel))
    pk = Peaks(channel[order], xy[order], np.ones(4), np.concatenate([[0], np.cumsum(counts)]))
    limbs = np.asarray(MPI15.limbs)
    limb, ia, ib, off = candidate_pairs(pk, limbs)
    neck10 = pk.start[0] + int(np.argmin(np.abs(pk.xy[pk.start[0]:pk.start[1], 1] - 10.5)))
    # every neck-pelvis pair looks good on the PAF, the 20 px neck a little better: only the bone
    # prior (1.2·10/19.6 − 1 = −0.39 for person 0) makes person 0 take the 10 px one (with equal
    # scores the first index won without the prior, so the prior went untested)
    score = np.where(limb == 1, np.where(ia == neck10, 0.9, 0.95), -1.0)
    length = np.hypot(*(pk.xy[ib] - pk.xy[ia]).T)
    pel = np.arange(pk.start[2], pk.start[3])
    z = np.array([48.37 / (4 * 10.0), 48.37 / (4 * 20.0)])  # expected neck-pelvis 10 / 20 out px
    a = group_people(pk, score, length, off, pel, z, MPI15, 4)
    assert a[0, 0] == neck10  # near person takes the 10 px neck
    assert a[1, 0] >= 0 and a[1, 0] != neck10  # far person gets the other one
    assert (a[:, 1] == -1).all()  # no head-top candidates


def test_group_people_heat_weight_prefers_the_strong_peak():
    # one person; two neck candidates that the PAF scores alike (a weak peak halfway along the limb
    # scores a little higher): the official rule (heat_weight 0) takes the weak one, a heat weight
    # takes the strong peak
    j = MPI15.num_joints
    xy = np.array([[10.5, 20.5], [10.5, 10.5], [10.5, 15.5]])  # pelvis; strong neck; weak mid-limb peak
    channel = np.array([2, 0, 0])
    counts = np.bincount(channel, minlength=j)
    pk = Peaks(np.array([0, 0, 2]), xy[[1, 2, 0]], np.array([0.9, 0.1, 0.9]),
               np.concatenate([[0], np.cumsum(counts)]))
    limbs = np.asarray(MPI15.limbs)
    limb, ia, ib, off = candidate_pairs(pk, limbs)
    score = np.full(len(limb), -1.0)
    neck_pairs = np.flatnonzero(limb == 1)
    for p in neck_pairs:
        neck = ia[p] if pk.channel[ia[p]] == 0 else ib[p]
        score[p] = 0.7 if neck == 0 else 0.75  # the weak candidate (row 1) looks a bit better
    length = np.hypot(*(pk.xy[ib] - pk.xy[ia]).T)
    pel = np.array([pk.start[2]])
    z = np.array([48.37 / (4 * 10.0)])
    assert group_people(pk, score, length, off, pel, z, MPI15, 4)[0, 0] == 1
    assert group_people(pk, score, length, off, pel, z, MPI15, 4, heat_weight=1.0)[0, 0] == 0


def test_group_people_short_limb_penalty_rejects_a_peak_next_to_the_source():
    # a spurious neck peak 2 px above the pelvis scores higher on the PAF than the true neck 10 px
    # above (expected length 10 px): the official rule takes it, short_limb=0.5 takes the true one
    j = MPI15.num_joints
    counts = np.bincount(np.array([2, 0, 0]), minlength=j)
    pk = Peaks(np.array([0, 0, 2]), np.array([[10.5, 10.5], [10.5, 18.5], [10.5, 20.5]]),
               np.array([0.5, 0.5, 0.9]), np.concatenate([[0], np.cumsum(counts)]))
    limb, ia, ib, off = candidate_pairs(pk, np.asarray(MPI15.limbs))
    score = np.full(len(limb), -1.0)
    for p in np.flatnonzero(limb == 1):
        neck = ia[p] if pk.channel[ia[p]] == 0 else ib[p]
        score[p] = 0.5 if neck == 0 else 0.6
    length = np.hypot(*(pk.xy[ib] - pk.xy[ia]).T)
    args = (pk, score, length, off, np.array([pk.start[2]]), np.array([48.37 / (4 * 10.0)]), MPI15, 4)
    assert group_people(*args)[0, 0] == 1
    assert group_people(*args, short=0.5)[0, 0] == 0
