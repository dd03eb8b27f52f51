"""Datasets: anything with __getitem__(i) and __len__() (map style), or __iter__ (iterable style).

    TensorDataset(x, y)[i]   = (x[i], y[i])            tensors of one length n along dim 0
    Subset(ds, indices)[i]   = ds[indices[i]]
    ConcatDataset([a, b])[i] = a[i] for i < len(a), then b[i - len(a)]
    random_split(ds, [n1, n2, ...] or [f1, f2, ...], generator)  disjoint Subsets covering ds
"""

import bisect
import math
import warnings

from ...creation import randperm
from ...errors import OpError
from ...tensor import Tensor


class Dataset:
    """A map-style dataset: subclasses define __getitem__(index) and __len__()."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define __iter__(); DataLoader batches what it yields in order."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class TensorDataset(Dataset):
    def __init__(self, *tensors):
        if not tensors:
            raise OpError("TensorDataset: expected at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise OpError(f"TensorDataset: argument {i} is a {type(t).__name__}, expected a Tensor "
                              "(tr.as_tensor(array) makes one)")
            if t.ndim == 0:
                raise OpError(f"TensorDataset: argument {i} is a 0-d tensor; samples are taken along dim 0")
        if len({t.shape[0] for t in tensors}) > 1:
            raise OpError("TensorDataset: Size mismatch between tensors: every tensor needs the same size in "
                          f"dim 0, got shapes {[tuple(t.shape) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = [int(i) for i in (indices.tolist() if hasattr(indices, "tolist") else indices)]

    def __getitem__(self, index):
        if isinstance(index, list):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise OpError("ConcatDataset: expected a non-empty list of datasets")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise OpError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise OpError(f"ConcatDataset: index {index} is out of range for length {len(self)}")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {len(self)}")
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def _lengths_from_fractions(fractions, n):
    """floor(f_i n) each, the remainder handed out one by one from the first (PyTorch's rule)."""
    for i, f in enumerate(fractions):
        if not 0 <= f <= 1:
            raise OpError(f"random_split: Fraction at index {i} is not between 0 and 1, got {f}")
    lengths = [int(math.floor(n * f)) for f in fractions]
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"random_split: Length of split at index {i} is 0. This might result in an empty dataset.",
                          stacklevel=3)
    return lengths


def random_split(dataset, lengths, generator=None):
    """Disjoint random Subsets of the given lengths (ints summing to len(dataset)) or fractions (summing to 1)."""
    n = len(dataset)
    lengths = list(lengths)
    if not lengths or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in lengths):
        raise OpError(f"random_split: lengths must be a non-empty list of ints or of fractions, got {lengths!r}")
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(lengths, n)
    if any(isinstance(x, float) and not x.is_integer() for x in lengths) or any(x < 0 for x in lengths):
        raise OpError(f"random_split: lengths must be non-negative ints summing to {n} or fractions summing "
                      f"to 1, got {lengths!r}")
    if sum(lengths) != n:
        raise OpError(f"random_split: Sum of input lengths does not equal the length of the input dataset! "
                      f"({sum(lengths)} != {n})")
    order = randperm(n, generator=generator).tolist()
    subsets, offset = [], 0
    for length in lengths:
        subsets.append(Subset(dataset, order[offset:offset + int(length)]))
        offset += int(length)
    return subsets
