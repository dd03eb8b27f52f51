"""DataLoader: batches from a dataset, in the calling process.

    loader = DataLoader(ds, batch_size=32, shuffle=True, drop_last=False, collate_fn=None, generator=None)
    len(loader)        batches per pass;   for batch in loader: ...   one pass, reshuffled each time

Which indices: batch_sampler if given, else BatchSampler(sampler, batch_size, drop_last) with
sampler = RandomSampler(ds, generator) when shuffle, else SequentialSampler(ds). An
IterableDataset is read in its own order, batch_size items at a time. batch_size=None turns
batching off (each sample is converted, not stacked).

num_workers > 0 is refused: there are no worker processes here (the library's data fit
in memory and its tensors' arrays are cheap to slice), so loading stays in order and in process.
"""

from ...errors import OpError
from .collate import default_collate, default_convert
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


def _positive_int_or_none(name, value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise OpError(f"DataLoader: {name} should be a positive integer value (or None), got {value!r}")


class DataLoader:
    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers != 0:
            if isinstance(num_workers, int) and not isinstance(num_workers, bool) and num_workers > 0:
                raise OpError(f"DataLoader: num_workers={num_workers} is not supported: this library loads "
                              "batches in the main process only; use num_workers=0")
            raise OpError("DataLoader: num_workers option should be non-negative; use num_workers=0")
        if prefetch_factor is not None or persistent_workers:
            raise OpError("DataLoader: prefetch_factor and persistent_workers need worker processes "
                          "(num_workers > 0), which this library does not have")
        if timeout < 0:
            raise OpError("DataLoader: timeout option should be non-negative")
        _positive_int_or_none("batch_size", batch_size)
        if collate_fn is not None and not callable(collate_fn):
            raise OpError(f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}")
        if not hasattr(dataset, "__getitem__") and not hasattr(dataset, "__iter__"):
            raise OpError(f"DataLoader: the dataset must define __getitem__ and __len__ (or __iter__), got a "
                          f"{type(dataset).__name__}")
        self.dataset, self.num_workers, self.pin_memory, self.timeout = dataset, 0, pin_memory, timeout
        self.worker_init_fn, self.generator, self.prefetch_factor = worker_init_fn, generator, prefetch_factor
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise OpError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                              f"but got shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise OpError("DataLoader with IterableDataset: expected unspecified sampler and batch_sampler "
                              "options (the dataset yields its own order)")
        elif not hasattr(dataset, "__len__") and sampler is None and batch_sampler is None:
            raise OpError(f"DataLoader: a map-style dataset needs __len__ ({type(dataset).__name__} has none); "
                          "pass a sampler, or make it an IterableDataset")
        if sampler is not None and shuffle:
            raise OpError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise OpError("DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, "
                              "sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise OpError("DataLoader: batch_size=None option disables auto-batching and is mutually exclusive "
                          "with drop_last")
        if not self._iterable:
            if sampler is None:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
            elif not isinstance(sampler, Sampler) and not hasattr(sampler, "__iter__"):
                raise OpError(f"DataLoader: sampler must be iterable, got {type(sampler).__name__}")
            if batch_size is not None and batch_sampler is None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.batch_size, self.drop_last = batch_size, drop_last
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_convert if batch_size is None and batch_sampler is None else default_collate)

    def __iter__(self):
        if self._iterable:
            yield from self._iterate_stream()
        elif self.batch_sampler is None:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
        elif type(self.dataset) is TensorDataset and self.collate_fn is default_collate:
            # the same batch as collating B samples, taken with one gather per tensor instead of B slices
            for indices in self.batch_sampler:
                yield [t[list(indices)] for t in self.dataset.tensors]
        else:
            for indices in self.batch_sampler:
                yield self.collate_fn([self.dataset[i] for i in indices])

    def _iterate_stream(self):
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self):
        if self._iterable:
            if not hasattr(self.dataset, "__len__"):
                raise TypeError(f"DataLoader: {type(self.dataset).__name__} (an IterableDataset) has no len()")
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is None:
            return len(self.sampler)
        return len(self.batch_sampler)
