import numpy as np
import pytest

from hupor.errors import HuporError
from hupor.train.samplers import MixedBatchSampler, split_counts


def test_split_counts():
    assert split_counts(32, [0.5, 0.5]) == [16, 16]
    assert split_counts(3, [0.5, 0.5]) in ([2, 1], [1, 2])
    assert sum(split_counts(7, [0.2, 0.3, 0.5])) == 7


def test_fifty_fifty_batches_from_unequal_groups():
    s = MixedBatchSampler([10, 1000], batch_size=8, fractions=[0.5, 0.5], seed=3)
    batches = list(s)
    assert len(batches) == len(s) == 1000 // 4
    for b in batches:
        assert len(b) == 8
        assert sum(i < 10 for i in b) == 4 and sum(i >= 10 for i in b) == 4
    small = [i for b in batches for i in b if i < 10]
    counts = np.bincount(small, minlength=10)
    assert counts.min() == counts.max() == 100  # the small group is cycled evenly
    big = [i for b in batches for i in b if i >= 10]
    assert sorted(big) == list(range(10, 1010))  # one full permutation of the big group


def test_epochs_and_ranks_differ_but_are_reproducible():
    a = MixedBatchSampler([50, 50], 4, seed=1)
    e0 = list(a)
    assert list(a) == e0
    a.set_epoch(1)
    assert list(a) != e0
    r0 = list(MixedBatchSampler([50, 50], 4, seed=1, rank=0, world_size=2))
    r1 = list(MixedBatchSampler([50, 50], 4, seed=1, rank=1, world_size=2))
    assert len(r0) == len(r1) == 13 and r0 != r1


def test_single_group_unshuffled_shards_by_rank():
    r0 = [i for b in MixedBatchSampler([6], 1, shuffle=False, rank=0, world_size=2) for i in b]
    r1 = [i for b in MixedBatchSampler([6], 1, shuffle=False, rank=1, world_size=2) for i in b]
    assert r0 == [0, 2, 4] and r1 == [1, 3, 5]


def test_bad_arguments():
    with pytest.raises(HuporError, match="at least one sample"):
        MixedBatchSampler([0, 5], 4)
    with pytest.raises(HuporError, match="one fraction"):
        MixedBatchSampler([5, 5], 4, fractions=[1.0])


def test_ranks_take_disjoint_shards_of_every_group():
    from hupor.train.samplers import MixedBatchSampler

    sizes, batch, world = [64, 32], 8, 2
    seen = []
    for rank in range(world):
        s = MixedBatchSampler(sizes, batch, [0.5, 0.5], seed=3, rank=rank, world_size=world)
        s.set_epoch(1)
        seen.append([i for b in s for i in b])
    big = [[i for i in ids if i < 64] for ids in seen]        # the larger group: one pass per epoch
    a, b = set(big[0]), set(big[1])
    assert len(big[0]) == len(a) == 32 and not a & b           # no sample twice, none on both ranks
    assert a | b == set(range(64))
    small = [[i for i in ids if i >= 64] for ids in seen]      # the smaller group is repeated, yet each
    assert not set(small[0][:16]) & set(small[1][:16])         # pass is split between the ranks


def test_sampler_state_skips_the_trained_batches_of_that_epoch_only():
    full = MixedBatchSampler([40], 4, seed=3, seeded=True)
    full.set_epoch(2)
    epoch2 = list(full)
    assert full.state_dict() == {"epoch": 2, "batches": 10}
    assert all(isinstance(k, tuple) and len(k) == 2 for b in epoch2 for k in b)
    resumed = MixedBatchSampler([40], 4, seed=3, seeded=True)
    resumed.load_state_dict({"epoch": 2, "batches": 3})
    resumed.set_epoch(2)                        # Lightning sets the epoch after loading the state
    assert list(resumed) == epoch2[3:]          # same indices and the same per-sample seeds
    assert len(list(resumed)) == 10             # the next pass is whole again
    ended = MixedBatchSampler([40], 4, seed=3, seeded=True)
    ended.load_state_dict({"epoch": 2, "batches": 10})
    ended.set_epoch(3)                          # checkpoint at the epoch's end: the next epoch is whole
    full.set_epoch(3)
    assert list(ended) == list(full)
