"""A packed batch through a recurrent layer on CUDA, its host<->device traffic counted by the strict CuPy
stand-in (as tests/test_device_syncs.py does for a padded batch): packing, the layer and unpacking read
nothing back, and copy up only the batch, the gather indices and the lengths built on the host."""

import collections

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.nn.utils import rnn as R

cupy = pytest.importorskip("cupy", reason="counting syncs needs the strict CuPy stand-in on PYTHONPATH")
if not getattr(cupy, "IS_FAKE", False) or not hasattr(cupy, "_stats") or not tr.cuda_available():
    pytest.skip("counting syncs needs the strict CuPy stand-in (PYTHONPATH=../shared/strict_cupy)",
                allow_module_level=True)


@pytest.fixture(autouse=True)
def _count_the_callers_of_tensor(monkeypatch):
    monkeypatch.setattr(cupy, "_PLUMBING", tuple(cupy._PLUMBING) + ("/creation.py",))


def counted(step):
    step()
    before = collections.Counter(cupy._stats)
    step()
    counts = collections.Counter(cupy._stats)
    counts.subtract(before)
    reads = {site: n for (kind, site), n in counts.items() if n and kind.startswith(("sync", "d2h"))}
    copies = {site: n for (kind, site), n in counts.items() if n and kind.startswith("h2d")}
    return reads, copies


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_a_packed_batch_on_cuda_reads_nothing_back(enforce_sorted):
    gru = nn.GRU(3, 4, bidirectional=True).to("cuda")
    x = tr.randn(6, 4, 3).to("cuda")
    lengths = [6, 5, 2, 2] if enforce_sorted else [2, 6, 2, 5]

    def step():
        packed = R.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
        out, h = gru(packed)
        padded, _ = R.pad_packed_sequence(out, batch_first=True)
        (padded.sum() + h.sum()).backward()

    reads, copies = counted(step)
    assert reads == {}
    files = collections.Counter()
    for site, n in copies.items():
        files[site.split(" <- ")[-1].split(":")[0]] += n
    expected = {
        "tinygrad_rnn/ops/shape.py": 4,            # one gather index each: pack, unpack and pack in the layer, pad
        "tinygrad_rnn/nn/sequence_checks.py": 1,   # the lengths, for the layer's step masks
    }
    if not enforce_sorted:
        expected["tinygrad_rnn/nn/utils/rnn.py"] = 2   # sorted_indices and unsorted_indices, made on the device
    assert dict(files) == expected
