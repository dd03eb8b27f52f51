"""tr.utils.data: PyTorch's data loading, in the main process.

    ds = TensorDataset(x, y)                       samples ds[i] = (x[i], y[i])
    train, val = random_split(ds, [0.8, 0.2], generator=tr.Generator().manual_seed(0))
    for xb, yb in DataLoader(train, batch_size=32, shuffle=True, drop_last=True): ...

A DataLoader asks its batch sampler for lists of indices, fetches those samples
from the dataset and joins them with collate_fn (default_collate: tensors,
NumPy arrays and numbers stacked into a batch tensor, tuples, lists and dicts
collated field by field). Everything runs in the calling process: num_workers
must be 0. (The library's own data sets live in tr.data.)
"""

from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler


def get_worker_info():
    """None: batches are always made in the calling process (torch answers None there too)."""
    return None


__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
           "DataLoader", "default_collate", "default_convert", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "get_worker_info"]
