"""The boilerplate PyTorch programs start with: tr.backends.cudnn / cuda.matmul / mps flags,
use_deterministic_algorithms, tr.finfo / tr.iinfo and the constants tr.pi, tr.e, tr.inf, tr.nan,
each giving PyTorch's answer on a machine without cuDNN or MPS."""

import math

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.errors import ArgumentTypeError

torch = pytest.importorskip("torch")


def test_seed_boilerplate_runs_and_reads_back():
    tr.backends.cudnn.deterministic = True
    tr.backends.cudnn.benchmark = False
    tr.backends.cuda.matmul.allow_tf32 = True
    try:
        assert tr.backends.cudnn.deterministic is True and tr.backends.cudnn.benchmark is False
        assert tr.backends.cuda.matmul.allow_tf32 is True
    finally:
        tr.backends.cudnn.deterministic = False
        tr.backends.cuda.matmul.allow_tf32 = False
    assert tr.backends.mps.is_available() is False and tr.backends.cudnn.is_available() is False


def test_deterministic_switch_is_recorded():
    assert tr.are_deterministic_algorithms_enabled() is False
    tr.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert tr.are_deterministic_algorithms_enabled() is True
    finally:
        tr.use_deterministic_algorithms(False)
    with pytest.raises(ArgumentTypeError, match="use_deterministic_algorithms: mode and warn_only must be bools"):
        tr.use_deterministic_algorithms("yes")


def test_unknown_flags_are_named():
    with pytest.raises(AttributeError, match=r"tr.backends.cudnn has no setting 'determinstic' \(it keeps enabled"):
        tr.backends.cudnn.determinstic = True
    with pytest.raises(AttributeError, match="tr.backends.cuda.matmul has no 'allow_fp32'"):
        tr.backends.cuda.matmul.allow_fp32  # noqa: B018


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_pytorch(name):
    ours, theirs = tr.finfo(getattr(tr, name)), torch.finfo(getattr(torch, name))
    for field in ("eps", "max", "min", "tiny", "resolution", "bits"):
        assert getattr(ours, field) == getattr(theirs, field), field


def test_iinfo_constants_and_errors():
    assert tr.iinfo(tr.int64).max == torch.iinfo(torch.int64).max and tr.iinfo(tr.int32).min == -2 ** 31
    assert tr.finfo().eps == torch.finfo().eps
    assert (tr.pi, tr.e, tr.inf) == (torch.pi, torch.e, torch.inf) and math.isnan(tr.nan)
    with pytest.raises(ArgumentTypeError, match="finfo: needs a floating-point dtype, got int64; use tr.iinfo"):
        tr.finfo(tr.int64)
    with pytest.raises(ArgumentTypeError, match="iinfo: needs an integer dtype, got float32; use tr.finfo"):
        tr.iinfo(tr.float32)


def test_cuda_seed_and_cache_calls_of_training_scripts_run():
    tr.manual_seed(5)
    first = tr.randn(3).tolist()
    tr.manual_seed(5)
    tr.cuda.manual_seed_all(5)                  # reseeds the CUDA stream only: host draws repeat
    assert tr.randn(3).tolist() == first
    assert tr.cuda.empty_cache() is None
