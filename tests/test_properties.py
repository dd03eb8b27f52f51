"""Property-based checks of every op over random shapes, broadcasting patterns, axes and values.

For each drawn case: backward matches central differences in float64, float32
agrees with float64 within float32 tolerance, and (with a GPU) CuPy equals NumPy.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_rnn as tr

EXAMPLES = 50
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast: the second drops leading axes and sets some axes to 1."""
    a = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple))
    drop = draw(st.integers(0, len(a)))
    b = tuple(1 if draw(st.booleans()) else n for n in a[drop:])
    return (a, b) if draw(st.booleans()) else (b, a)


def values(shape, seed, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def leaf(array, dtype=np.float64, device="cpu"):
    return tr.tensor(np.asarray(array, dtype=dtype), requires_grad=True, device=device)


def check_op(fn, arrays):
    """gradcheck in float64, then float32 against float64, then CuPy against NumPy."""
    tr.gradcheck(fn, [leaf(a) for a in arrays])
    out64 = fn(*[leaf(a) for a in arrays])
    out32 = fn(*[leaf(a, np.float32) for a in arrays])
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.numpy(), out64.numpy(), rtol=2e-4, atol=2e-5)
    if tr.cuda_available():
        out_gpu = fn(*[leaf(a, device="cuda") for a in arrays])
        np.testing.assert_allclose(out_gpu.numpy(), out64.numpy(), rtol=1e-10, atol=1e-12)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 0.5),
    "pow": lambda a, b: (a * a + 0.5) ** b,
    "where": lambda a, b: tr.where(a > b, a, b * 2),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(pair=broadcast_pair(), seed=st.integers(0, 10_000))
def test_binary_ops_under_broadcasting(name, pair, seed):
    a, b = pair
    check_op(BINARY[name], [values(a, seed), values(b, seed + 1)])


UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: (x * x + 0.1).log(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: (x + 0.05).relu(),
    "abs": lambda x: (x + 0.05).abs(),
    "sqrt": lambda x: (x * x + 0.1).sqrt(),
    "clip": lambda x: x.clip(-0.93, 0.97),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 10_000))
def test_unary_ops(name, shape, seed):
    x = values(shape, seed)
    if name in ("relu", "abs", "clip"):   # keep away from the kinks, where the derivative jumps
        x = np.where(np.abs(x + 0.05) < 1e-3, 0.5, x)
        x = np.where(np.abs(np.abs(x) - 0.95) < 0.03, 0.5, x)
    check_op(UNARY[name], [x])


@st.composite
def shape_and_axis(draw):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple))
    kind = draw(st.sampled_from(["none", "int", "negative", "tuple"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(0, len(shape) - 1))
    elif kind == "negative":
        axis = draw(st.integers(-len(shape), -1))
    else:
        axis = tuple(sorted(draw(st.sets(st.integers(0, len(shape) - 1), min_size=1))))
    return shape, axis, draw(st.booleans())


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
@SETTINGS
@given(case=shape_and_axis(), seed=st.integers(0, 10_000))
def test_reductions_over_any_axes(name, case, seed):
    shape, axis, keepdims = case
    x = values(shape, seed)
    check_op(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), [x])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), seed=st.integers(0, 10_000),
       scale=st.sampled_from([1.0, 30.0]))
def test_softmaxes_along_every_axis(name, shape, seed, scale):
    x = values(shape, seed) * scale
    for axis in range(-len(shape), len(shape)):
        check_op(lambda t, axis=axis: getattr(t, name)(axis), [x])


@SETTINGS
@given(n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3), batch=st.sampled_from([(), (2,), (2, 1)]),
       other_batch=st.sampled_from([(), (1,), (3, 1, 1)]), seed=st.integers(0, 10_000))
def test_matmul_batched_with_broadcast(n, k, m, batch, other_batch, seed):
    check_op(lambda a, b: a @ b, [values(batch + (n, k), seed), values(other_batch + (k, m), seed + 1)])


@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple), seed=st.integers(0, 10_000),
       data=st.data())
def test_shape_ops(shape, seed, data):
    x = values(shape, seed)
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    axis = data.draw(st.integers(0, len(shape) - 1))
    rows = data.draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=5))
    check_op(lambda t: t.permute(perm).reshape(-1), [x])
    check_op(lambda t: t[rows], [x])                          # repeated rows accumulate
    check_op(lambda t: t[t > 0.3], [x]) if (x > 0.3).any() else None
    check_op(lambda t: tr.concat(tr.split(t, 1, axis)[::-1], axis), [x])
    check_op(lambda t: tr.stack([t, t * 2], axis), [x])
