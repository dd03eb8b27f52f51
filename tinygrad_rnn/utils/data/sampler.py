"""Samplers: the order in which a DataLoader visits a dataset's indices.

    SequentialSampler(ds)              0, 1, ..., n-1
    RandomSampler(ds, generator=g)     a fresh permutation each pass (or draws with replacement)
    SubsetRandomSampler(indices)       the given indices, permuted each pass
    WeightedRandomSampler(weights, n)  n indices drawn with probability proportional to weights
    BatchSampler(sampler, b, drop_last)  lists of b indices, the last one shorter unless drop_last

Without a generator the draws come from the global one (tr.manual_seed).
"""

from ...errors import OpError
from ...generator import draw_from


class Sampler:
    """Yields indices; subclasses define __iter__ (and __len__ where they know it)."""

    def __init__(self, data_source=None):
        pass  # as PyTorch's Sampler: data_source is accepted for subclasses and not kept

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise OpError(f"RandomSampler: replacement should be a boolean value, got {replacement!r}")
        if num_samples is not None and (isinstance(num_samples, bool) or not isinstance(num_samples, int)
                                        or num_samples <= 0):
            raise OpError(f"RandomSampler: num_samples should be a positive integer value, got {num_samples!r}")
        draw_from(generator, "RandomSampler")  # a wrong generator fails here, not at the first epoch
        self.data_source, self.replacement, self._num_samples = data_source, replacement, num_samples
        self.generator = generator

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        rng, n = draw_from(self.generator, "RandomSampler"), len(self.data_source)
        if self.replacement:
            yield from rng.integers(0, n, self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[:self.num_samples % n].tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    def __init__(self, indices, generator=None):
        self.indices, self.generator = list(indices), generator

    def __iter__(self):
        for i in draw_from(self.generator, "SubsetRandomSampler").permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise OpError(f"WeightedRandomSampler: num_samples should be a positive integer value, "
                          f"got {num_samples!r}")
        if not isinstance(replacement, bool):
            raise OpError(f"WeightedRandomSampler: replacement should be a boolean value, got {replacement!r}")
        values = weights.tolist() if hasattr(weights, "tolist") else list(weights)
        if not values or any(not isinstance(w, (int, float)) or isinstance(w, bool) or not w >= 0 for w in values) \
                or not sum(values) > 0:
            raise OpError("WeightedRandomSampler: weights must be non-negative numbers, not all zero, with one "
                          f"dimension, got {values[:8]!r}{' ...' if len(values) > 8 else ''}")
        if not replacement and num_samples > sum(1 for w in values if w > 0):
            raise OpError(f"WeightedRandomSampler: cannot draw {num_samples} distinct indices without replacement "
                          f"from {sum(1 for w in values if w > 0)} non-zero weights")
        draw_from(generator, "WeightedRandomSampler")
        total = float(sum(values))
        self.weights = [w / total for w in values]
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator

    def __iter__(self):
        rng = draw_from(self.generator, "WeightedRandomSampler")
        yield from rng.choice(len(self.weights), self.num_samples, replace=self.replacement, p=self.weights).tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    def __init__(self, sampler, batch_size, drop_last):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise OpError(f"BatchSampler: batch_size should be a positive integer value, got {batch_size!r}")
        if not isinstance(drop_last, bool):
            raise OpError(f"BatchSampler: drop_last should be a boolean value, got {drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
