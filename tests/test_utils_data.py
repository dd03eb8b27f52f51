"""tr.utils.data as torch.utils.data: datasets, samplers, default collation, DataLoader, random_split."""

import collections

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    random_split,
)


def xy(n=10):
    x = tr.tensor(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    y = tr.tensor(np.arange(n) % 3)
    return x, y


def as_numpy(batch):
    """Nested structure of a batch with every tensor as a NumPy array (for either library)."""
    if hasattr(batch, "numpy") and not isinstance(batch, np.ndarray):
        return batch.detach().numpy() if hasattr(batch, "detach") else batch.numpy()
    if isinstance(batch, dict):
        return {k: as_numpy(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(as_numpy(v) for v in batch) if not hasattr(batch, "_fields") else \
            type(batch)(*(as_numpy(v) for v in batch))
    return batch


def assert_same_batches(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert type(a).__name__ == type(b).__name__ or (isinstance(a, list) and isinstance(b, list))
        flat_a, flat_b = _flatten(as_numpy(a)), _flatten(as_numpy(b))
        assert len(flat_a) == len(flat_b)
        for u, v in zip(flat_a, flat_b):
            if isinstance(u, np.ndarray):
                assert u.dtype == v.dtype and u.shape == v.shape
                np.testing.assert_array_equal(u, v)
            else:
                assert u == v


def _flatten(x):
    if isinstance(x, dict):
        return [k for k in x] + [y for v in x.values() for y in _flatten(v)]
    if isinstance(x, (list, tuple)):
        return [y for v in x for y in _flatten(v)]
    return [x]


# ---- the import paths -----------------------------------------------------------------------

def test_importable_as_torch_spells_it():
    import tinygrad_rnn.utils.data as data
    assert tr.utils.data is data and data.DataLoader is DataLoader


def test_the_librarys_own_datasets_package_stays():
    assert hasattr(tr.data, "SequenceLoader") and hasattr(tr.data, "load_sunspots")
    assert tr.data is not tr.utils.data


# ---- datasets --------------------------------------------------------------------------------

def test_tensor_dataset_indexes_every_tensor_along_dim_0():
    x, y = xy()
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi.numpy(), [12, 13, 14])
    assert int(yi) == 1


def test_tensor_dataset_refuses_different_lengths():
    with pytest.raises(ValueError, match=r"TensorDataset: Size mismatch between tensors: every tensor needs the "
                                         r"same size in dim 0, got shapes \[\(3, 2\), \(4,\)\]"):
        TensorDataset(tr.zeros(3, 2), tr.zeros(4))


def test_tensor_dataset_refuses_a_numpy_array():
    with pytest.raises(ValueError, match=r"TensorDataset: argument 1 is a ndarray, expected a Tensor"):
        TensorDataset(tr.zeros(3), np.zeros(3))


def test_subset_and_concat():
    x, y = xy()
    ds = TensorDataset(x, y)
    sub = Subset(ds, [7, 2])
    assert len(sub) == 2 and int(sub[0][1]) == 7 % 3
    both = ConcatDataset([sub, ds])
    assert len(both) == 12 and int(both[2][1]) == 0 and int(both[-1][1]) == 9 % 3
    assert len(sub + ds) == 12
    with pytest.raises(IndexError, match="ConcatDataset: index 12 is out of range for length 12"):
        both[12]


# ---- default_collate against torch's ------------------------------------------------------------

Point = collections.namedtuple("Point", ["x", "label"])

SAMPLES = {
    "floats": [1.5, 2.0, -3.25],
    "ints": [1, 2, 3],
    "bools": [True, False, True],
    "numpy float64 arrays": [np.arange(3.0), np.ones(3)],
    "numpy int32 arrays": [np.arange(3, dtype=np.int32), np.ones(3, dtype=np.int32)],
    "numpy scalars": [np.float32(1.5), np.float32(2.5)],
    "strings": ["a", "bc"],
    "tuples": [(np.zeros(2), 1), (np.ones(2), 0)],
    "lists": [[1.0, 2], [3.0, 4]],
    "dicts": [{"x": np.zeros(2), "y": 3}, {"x": np.ones(2), "y": 4}],
    "namedtuples": [Point(np.zeros(2), 1), Point(np.ones(2), 2)],
    "nested": [{"pair": (1, [2.0, 3.0])}, {"pair": (4, [5.0, 6.0])}],
}


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_default_collate_matches_torch(kind):
    torch = pytest.importorskip("torch")
    ours, theirs = default_collate(SAMPLES[kind]), torch.utils.data.default_collate(SAMPLES[kind])
    assert_same_batches([ours], [theirs])


def test_default_collate_stacks_tensors_and_keeps_the_graph():
    a = tr.ones(2, requires_grad=True)
    batch = default_collate([a * 2, a * 3])
    assert batch.shape == (2, 2)
    batch.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [5.0, 5.0])


def test_default_collate_explains_ragged_tensors():
    with pytest.raises(ValueError, match=r"default_collate: the samples' tensors have different shapes "
                                         r"\[\(2,\), \(3,\)\]; pad them"):
        default_collate([tr.zeros(2), tr.zeros(3)])


def test_default_collate_explains_ragged_lists():
    with pytest.raises(ValueError, match=r"each element in list of batch should be of equal size, got sizes \[1, 2\]"):
        default_collate([[1], [1, 2]])


def test_default_collate_explains_an_unknown_type():
    with pytest.raises(ValueError, match="default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                                         "or lists; found object"):
        default_collate([object(), object()])


# ---- DataLoader ---------------------------------------------------------------------------------

@pytest.mark.parametrize("batch_size, drop_last", [(3, False), (3, True), (5, False), (1, False), (12, True)])
def test_sequential_batches_match_torch(batch_size, drop_last):
    torch = pytest.importorskip("torch")
    x, y = xy()
    ours = list(DataLoader(TensorDataset(x, y), batch_size=batch_size, drop_last=drop_last))
    tx, ty = torch.tensor(x.numpy()), torch.tensor(y.numpy())
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(tx, ty), batch_size=batch_size,
                                         drop_last=drop_last)
    theirs = list(loader)
    assert len(DataLoader(TensorDataset(x, y), batch_size=batch_size, drop_last=drop_last)) == len(loader)
    assert_same_batches(ours, theirs)


def test_batches_unpack_as_pairs():
    x, y = xy()
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=4):
        assert xb.shape[1:] == (3,) and xb.shape[0] == yb.shape[0]


def test_shuffle_visits_every_sample_once_per_epoch_in_a_new_order():
    x, y = xy(50)
    loader = DataLoader(TensorDataset(x, tr.arange(50)), batch_size=8, shuffle=True)
    epochs = [np.concatenate([idx.numpy() for _, idx in loader]) for _ in range(2)]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(50))
    assert epochs[0].tolist() != epochs[1].tolist() != list(range(50))


def test_shuffle_with_a_seeded_generator_repeats():
    def orders(seed):
        g = tr.Generator().manual_seed(seed)
        loader = DataLoader(TensorDataset(tr.arange(20)), batch_size=5, shuffle=True, generator=g)
        return [[int(i) for (b,) in loader for i in b.tolist()] for _ in range(3)]
    assert orders(1) == orders(1)
    assert orders(1) != orders(2)


def test_shuffle_without_a_generator_follows_manual_seed():
    def order(seed):
        tr.manual_seed(seed)
        return [i for (b,) in DataLoader(TensorDataset(tr.arange(20)), batch_size=4, shuffle=True)
                for i in b.tolist()]
    assert order(7) == order(7) and order(7) != order(8)


def test_a_generator_does_not_touch_the_global_stream():
    tr.manual_seed(0)
    expected = tr.randn(3).numpy()
    tr.manual_seed(0)
    list(DataLoader(TensorDataset(tr.arange(20)), shuffle=True, generator=tr.Generator().manual_seed(5)))
    np.testing.assert_array_equal(tr.randn(3).numpy(), expected)


def test_collate_fn_gets_the_list_of_samples():
    x, y = xy()
    seen = []

    def collate(samples):
        seen.append(len(samples))
        return samples

    list(DataLoader(TensorDataset(x, y), batch_size=4, collate_fn=collate))
    assert seen == [4, 4, 2]


class Squares(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": np.full(2, float(i)), "y": i * i}


def test_a_user_dataset_of_dicts_batches_as_torch():
    torch = pytest.importorskip("torch")

    class TorchSquares(torch.utils.data.Dataset):
        __len__, __getitem__ = Squares.__len__, Squares.__getitem__

    assert_same_batches(list(DataLoader(Squares(), batch_size=2)),
                        list(torch.utils.data.DataLoader(TorchSquares(), batch_size=2)))


def test_batch_size_none_yields_single_converted_samples():
    torch = pytest.importorskip("torch")

    class TorchSquares(torch.utils.data.Dataset):
        __len__, __getitem__ = Squares.__len__, Squares.__getitem__

    ours = list(DataLoader(Squares(), batch_size=None))
    assert len(ours) == 5 and ours[2]["x"].shape == (2,)
    assert_same_batches(ours, list(torch.utils.data.DataLoader(TorchSquares(), batch_size=None)))


def test_sampler_and_batch_sampler():
    ds = TensorDataset(tr.arange(10))
    picked = [b.tolist() for (b,) in DataLoader(ds, batch_size=2, sampler=[9, 0, 4])]
    assert picked == [[9, 0], [4]]
    batches = [b.tolist() for (b,) in DataLoader(ds, batch_sampler=[[1, 2, 3], [7]])]
    assert batches == [[1, 2, 3], [7]]
    sampler = BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)
    assert list(sampler) == [[0, 1, 2], [3, 4, 5], [6]] and len(sampler) == 3
    assert len(BatchSampler(SequentialSampler(range(7)), 3, drop_last=True)) == 2


def test_random_samplers():
    g = tr.Generator().manual_seed(0)
    assert sorted(RandomSampler(range(6), generator=g)) == list(range(6))
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=20, generator=g))
    assert len(drawn) == 20 and set(drawn) <= {0, 1, 2}
    longer = list(RandomSampler(range(4), num_samples=10, generator=g))
    assert len(longer) == 10 and sorted(longer[:4]) == [0, 1, 2, 3]
    assert sorted(SubsetRandomSampler([3, 5, 8], generator=g)) == [3, 5, 8]


class Countdown(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n, 0, -1))

    def __len__(self):
        return self.n


def test_an_iterable_dataset_is_batched_in_its_order():
    assert [b.tolist() for b in DataLoader(Countdown(5), batch_size=2)] == [[5, 4], [3, 2], [1]]
    assert [b.tolist() for b in DataLoader(Countdown(5), batch_size=2, drop_last=True)] == [[5, 4], [3, 2]]
    assert len(DataLoader(Countdown(5), batch_size=2)) == 3


@pytest.mark.parametrize("kwargs, message", [
    (dict(num_workers=2), r"DataLoader: num_workers=2 is not supported: this library loads batches in the main "
                          r"process only; use num_workers=0"),
    (dict(num_workers=-1), r"DataLoader: num_workers option should be non-negative"),
    (dict(persistent_workers=True), r"prefetch_factor and persistent_workers need worker processes"),
    (dict(batch_size=0), r"DataLoader: batch_size should be a positive integer value \(or None\), got 0"),
    (dict(batch_size=2.0), r"DataLoader: batch_size should be a positive integer value \(or None\), got 2.0"),
    (dict(shuffle=True, sampler=[0, 1]), r"DataLoader: sampler option is mutually exclusive with shuffle"),
    (dict(batch_size=2, batch_sampler=[[0]]), r"batch_sampler option is mutually exclusive with batch_size, "
                                              r"shuffle, sampler, and drop_last"),
    (dict(batch_size=None, drop_last=True), r"batch_size=None option disables auto-batching and is mutually "
                                            r"exclusive with drop_last"),
    (dict(collate_fn=3), r"DataLoader: collate_fn must be callable, got int"),
    (dict(shuffle=True, generator=np.random.default_rng(0)), r"RandomSampler: generator must be a tr.Generator, "
                                                             r"got Generator"),
])
def test_bad_dataloader_arguments_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(TensorDataset(tr.arange(4)), **kwargs)


def test_shuffling_an_iterable_dataset_is_refused():
    with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected unspecified shuffle option"):
        DataLoader(Countdown(3), shuffle=True)


def test_a_dataset_without_len_is_explained():
    class NoLen:
        def __getitem__(self, i):
            return i

    with pytest.raises(ValueError, match=r"a map-style dataset needs __len__ \(NoLen has none\)"):
        DataLoader(NoLen())


# ---- random_split -------------------------------------------------------------------------------

@pytest.mark.parametrize("n, lengths", [(10, [3, 7]), (10, [0.5, 0.5]), (10, [0.33, 0.33, 0.34]),
                                        (7, [0.3, 0.3, 0.4]), (5, [0.1, 0.9]), (10, [1.0])])
def test_random_split_sizes_match_torch(n, lengths):
    torch = pytest.importorskip("torch")
    ours = random_split(TensorDataset(tr.arange(n)), lengths, generator=tr.Generator().manual_seed(0))
    theirs = torch.utils.data.random_split(torch.utils.data.TensorDataset(torch.arange(n)), lengths,
                                           generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    indices = sorted(i for s in ours for i in s.indices)
    assert indices == list(range(n))


def test_random_split_warns_of_an_empty_split_as_torch():
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning, match="Length of split at index 0 is 0. This might result in an empty dataset"):
        torch.utils.data.random_split(range(5), [0.0, 1.0])
    with pytest.warns(UserWarning, match="Length of split at index 0 is 0. This might result in an empty dataset"):
        assert [len(s) for s in random_split(range(5), [0.0, 1.0])] == [0, 5]


def test_random_split_repeats_with_the_same_generator():
    def split(seed):
        return [s.indices for s in random_split(range(20), [0.25, 0.75], generator=tr.Generator().manual_seed(seed))]
    assert split(3) == split(3) and split(3) != split(4)


@pytest.mark.parametrize("lengths, message", [
    ([3, 3], r"random_split: Sum of input lengths does not equal the length of the input dataset! \(6 != 10\)"),
    ([1.5, -0.5], r"random_split: Fraction at index 0 is not between 0 and 1, got 1.5"),
    ([-1, 11], r"lengths must be non-negative ints summing to 10"),
    ([], r"random_split: lengths must be a non-empty list of ints or of fractions"),
    (["a"], r"random_split: lengths must be a non-empty list of ints or of fractions, got \['a'\]"),
])
def test_random_split_refuses_bad_lengths(lengths, message):
    with pytest.raises(ValueError, match=message):
        random_split(range(10), lengths)


def test_batches_stay_on_the_datasets_device(device):
    x = tr.arange(12, dtype=tr.float64, device=device).reshape(6, 2)
    batches = list(DataLoader(TensorDataset(x, tr.arange(6, device=device)), batch_size=4))
    assert [tuple(b.shape) for b, _ in batches] == [(4, 2), (2, 2)]
    assert str(batches[0][0].device) == device and str(batches[0][1].device) == device
    np.testing.assert_array_equal(batches[1][0].numpy(), [[8, 9], [10, 11]])


def test_tensor_dataset_batches_equal_collated_samples():
    """The loader gathers a TensorDataset's batch at once; it must equal collating the samples one by one."""
    x, y = xy(23)
    ds = TensorDataset(x, y)
    order = np.random.default_rng(0).permutation(23).tolist()
    fast = list(DataLoader(ds, batch_size=5, sampler=order))
    slow = list(DataLoader(ds, batch_size=5, sampler=order, collate_fn=lambda b: default_collate(b)))
    assert_same_batches(fast, slow)
    assert all(isinstance(b, list) for b in fast)


def test_gradients_flow_through_a_tensor_dataset_batch():
    w = tr.ones(4, 2, requires_grad=True)
    ds = TensorDataset(w * 3)
    (batch,) = next(iter(DataLoader(ds, batch_size=2, sampler=[3, 3])))
    batch.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[0, 0], [0, 0], [0, 0], [6, 6]])


def test_weighted_sampler_draws_in_proportion_to_the_weights():
    from tinygrad_rnn.utils.data import WeightedRandomSampler
    g = tr.Generator().manual_seed(0)
    drawn = np.array(list(WeightedRandomSampler([1.0, 0.0, 3.0], 4000, generator=g)))
    assert set(drawn.tolist()) == {0, 2}
    assert abs((drawn == 2).mean() - 0.75) < 0.03
    distinct = list(WeightedRandomSampler(tr.tensor([1.0, 2.0, 3.0, 4.0]), 4, replacement=False, generator=g))
    assert sorted(distinct) == [0, 1, 2, 3]
    assert len(WeightedRandomSampler([1, 1], 7)) == 7


@pytest.mark.parametrize("args, message", [
    (([1.0, -1.0], 2), r"WeightedRandomSampler: weights must be non-negative numbers, not all zero"),
    (([0.0, 0.0], 2), r"weights must be non-negative numbers, not all zero"),
    (([1.0, float("nan")], 2), r"weights must be non-negative numbers"),
    (([1.0, 1.0], 0), r"WeightedRandomSampler: num_samples should be a positive integer value, got 0"),
    (([1.0, 0.0, 1.0], 3, False), r"cannot draw 3 distinct indices without replacement from 2 non-zero weights"),
])
def test_weighted_sampler_refuses_bad_arguments(args, message):
    from tinygrad_rnn.utils.data import WeightedRandomSampler
    with pytest.raises(ValueError, match=message):
        WeightedRandomSampler(*args)


def test_get_worker_info_is_none_in_the_main_process_as_torch():
    torch = pytest.importorskip("torch")
    from tinygrad_rnn.utils.data import get_worker_info
    assert get_worker_info() is None is torch.utils.data.get_worker_info()
