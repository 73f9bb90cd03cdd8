"""Batch samplers: fixed-ratio mixing of dataset groups (method §13, the 50/50 MuCo/COCO batches).

The samplers shard by rank themselves (so the Trainer runs with ``use_distributed_sampler=False``):
every rank draws the same permutations of each group (a generator seeded by (seed, epoch, group))
and takes every ``world_size``-th entry starting at its rank, so the ranks' shards are disjoint.

Resume: with ``seeded=True`` every sample key is ``(index, seed)``, the seed a function of (seed,
epoch, batch, rank, position) that the datasets' augmentation draws from (``hupor.data.datasets``),
and :meth:`MixedBatchSampler.state_dict` records the epoch and the batches already trained on, so a
run resumed mid-epoch continues with exactly the batches, and the augmentations, it would have had.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from ..errors import HuporError


def split_counts(batch_size: int, fractions: Sequence[float]) -> list[int]:
    """Integer per-group counts summing to ``batch_size`` (largest remainders get the extra)."""
    f = np.asarray(fractions, dtype=np.float64)
    if f.ndim != 1 or f.size == 0 or (f < 0).any() or f.sum() <= 0:
        raise HuporError(f"sampler fractions must be non-negative and not all zero, got {list(fractions)}")
    f = f / f.sum()
    raw = f * batch_size
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: batch_size - counts.sum()]:
        counts[i] += 1
    return counts.tolist()


class MixedBatchSampler:
    """Yield batches of indices into the concatenation of ``group_sizes`` datasets (group g owns the
    index range ``[offset_g, offset_g + size_g)``), each batch holding ``split_counts(batch_size,
    fractions)`` samples of each group. Within a group, samples come from a fresh permutation that
    is drawn again when exhausted (so a small group is repeated, never truncated).

    ``num_batches`` batches per epoch per rank (default: the largest group's size / its count, split
    over ``world_size``). Call :meth:`set_epoch` for a new shuffle (Lightning does it through the
    ``sampler`` attribute).
    """

    def __init__(self, group_sizes: Sequence[int], batch_size: int, fractions: Sequence[float] | None = None,
                 num_batches: int | None = None, seed: int = 0, rank: int = 0, world_size: int = 1,
                 shuffle: bool = True, seeded: bool = False):
        self.group_sizes = [int(n) for n in group_sizes]
        if not self.group_sizes or min(self.group_sizes) < 1:
            raise HuporError(f"sampler: every dataset group needs at least one sample, got sizes {self.group_sizes}")
        if batch_size < 1:
            raise HuporError(f"sampler: batch_size must be >= 1, got {batch_size}")
        if fractions is None:
            fractions = [1.0 / len(self.group_sizes)] * len(self.group_sizes)
        if len(fractions) != len(self.group_sizes):
            raise HuporError("sampler: one fraction per dataset group")
        if not 0 <= rank < world_size:
            raise HuporError(f"sampler: rank {rank} outside world size {world_size}")
        self.batch_size = batch_size
        self.counts = split_counts(batch_size, fractions)
        self.offsets = np.concatenate([[0], np.cumsum(self.group_sizes)[:-1]]).astype(int).tolist()
        if num_batches is None:
            per = [n / c for n, c in zip(self.group_sizes, self.counts) if c > 0]
            num_batches = max(1, int(np.ceil(max(per) / world_size)))
        self.num_batches = int(num_batches)
        self.seed, self.rank, self.world_size, self.shuffle = seed, rank, world_size, shuffle
        self.seeded = bool(seeded)
        self.epoch = 0
        self.yielded = 0  # batches handed out in the current pass
        self._skip = 0    # batches of the next pass already trained on (a resumed run) ...
        self._skip_epoch = -1  # ... if that pass is over this epoch
        self.sampler = self  # Lightning calls batch_sampler.sampler.set_epoch(epoch)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def state_dict(self, consumed: int | None = None) -> dict:
        """``{"epoch", "batches"}``: the batches of this epoch already trained on (``consumed``,
        default all handed out)."""
        return {"epoch": self.epoch, "batches": self.yielded if consumed is None else int(consumed)}

    def load_state_dict(self, state: dict) -> None:
        """The next pass over ``state``'s epoch skips the batches it says were trained on (Lightning
        calls :meth:`set_epoch` afterwards; a later epoch skips nothing)."""
        self.epoch, self._skip, self._skip_epoch = int(state["epoch"]), int(state["batches"]), int(state["epoch"])

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[list[int]]:
        # one generator per group, seeded by (seed, epoch, group) and the same on every rank: all
        # ranks draw the same permutations and rank r takes every world_size-th entry from r, so
        # the ranks' shards are disjoint
        streams = [_Stream(n, off, np.random.default_rng([self.seed, self.epoch, g]) if self.shuffle else None,
                           self.rank, self.world_size)
                   for g, (n, off) in enumerate(zip(self.group_sizes, self.offsets))]
        skip = self._skip if self.epoch == self._skip_epoch else 0
        self._skip, self.yielded = 0, 0
        for b in range(self.num_batches):
            batch: list = []
            for stream, count in zip(streams, self.counts):
                batch.extend(stream.take(count))
            if b < skip:  # drawn (the streams advance as they did) but already trained on
                continue
            if self.seeded:
                seeds = np.random.SeedSequence([self.seed, self.epoch, b, self.rank]).generate_state(len(batch))
                batch = [(i, int(s)) for i, s in zip(batch, seeds)]
            self.yielded = b + 1
            yield batch


class _Stream:
    """Endless indices of one group: the rank's stride through shuffled permutations (a new one when
    the rank has taken its share) or, unshuffled, through the group in order."""

    def __init__(self, size: int, offset: int, rng: np.random.Generator | None, rank: int, world: int):
        self.size, self.offset, self.rng, self.rank = size, offset, rng, rank
        self.pos = rank % size
        self.step = world
        self.perm = np.arange(size) if rng is None else rng.permutation(size)

    def take(self, count: int) -> list[int]:
        out = []
        for _ in range(count):
            if self.pos >= self.size:
                if self.rng is not None:
                    self.pos = self.rank % self.size
                    self.perm = self.rng.permutation(self.size)
                else:
                    self.pos %= self.size
            out.append(int(self.perm[self.pos]) + self.offset)
            self.pos += self.step
        return out
