"""Type promotion as PyTorch's (torch.result_type), checked against torch over every pair of
dtypes, dimensioned and 0-d, and Python numbers on either side: the result's dtype and values.
Integer and boolean results never require grad; in-place ops keep the tensor's dtype and refuse a
result they cannot hold, as torch does."""

import itertools
import operator

import numpy as np
import pytest

import tinygrad_rnn as tr

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
       "pow": operator.pow, "lt": operator.lt, "eq": operator.eq, "maximum": lambda a, b: a.maximum(b),
       "where": lambda a, b: _where(a, b)}
NUMBERS = [True, 2, -1, 2.5]


def _where(a, b):
    lib = tr if isinstance(a, tr.Tensor) else torch
    return lib.where(lib.tensor([True, False]), a, b)


def _make(lib, name, zero_dim=False):
    dtype = getattr(lib, name) if lib is torch else np.dtype(name)
    values = [True, False] if name == "bool" else [2, 3]
    return lib.tensor(values[0] if zero_dim else values, dtype=dtype)


def _skip(op, *names):
    """Pairs PyTorch itself refuses for a reason of its own: sub of booleans, pow of booleans
    (NotImplementedError), maximum of a tensor and a number (it takes tensors only)."""
    return op == "sub" and "bool" in names or op == "pow" and "bool" in names


def _answer(lib, fn, a, b):
    try:
        out = fn(a, b)
    except Exception as exc:  # noqa: BLE001 (either library's error: compared as "both raise")
        return "error", type(exc)
    return str(out.dtype).replace("torch.", ""), np.asarray(out.tolist(), dtype=np.float64)


def _mismatches(cases):
    bad = []
    for label, fn, make_a, make_b in cases:
        ours, theirs = _answer(tr, fn, make_a(tr), make_b(tr)), _answer(torch, fn, make_a(torch), make_b(torch))
        if ours[0] != theirs[0]:
            bad.append(f"{label}: ours {ours[0]}, torch {theirs[0]}")
        elif ours[0] != "error" and not np.allclose(ours[1], theirs[1], rtol=2e-3, equal_nan=True):
            bad.append(f"{label}: values {ours[1]} against torch's {theirs[1]}")
    return bad


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("second", ["dimensioned", "zero_dim"])
def test_tensor_with_tensor_promotes_as_torch(op, second):
    cases = [(f"{a} {op} {b} ({second})", OPS[op],
              lambda lib, a=a: _make(lib, a), lambda lib, b=b: _make(lib, b, second == "zero_dim"))
             for a, b in itertools.product(DTYPES, DTYPES) if not _skip(op, a, b)]
    assert _mismatches(cases) == []


@pytest.mark.parametrize("op", [o for o in OPS if o != "maximum"])
@pytest.mark.parametrize("side", ["right", "left"])
def test_tensor_with_python_number_promotes_as_torch(op, side):
    fn = OPS[op]
    if side == "left":
        fn = (lambda f: lambda a, b: f(b, a))(fn) if op != "where" else (lambda a, b: _where_left(a, b))
    cases = [(f"{a} {op} {n!r} ({side})", fn, lambda lib, a=a: _make(lib, a), lambda lib, n=n: n)
             for a, n in itertools.product(DTYPES, NUMBERS)
             if not _skip(op, a, "bool" if n is True else "")]
    assert _mismatches(cases) == []


def _where_left(a, number):
    lib = tr if isinstance(a, tr.Tensor) else torch
    return lib.where(lib.tensor([True, False]), number, a)


def test_a_python_float_never_widens_float32_or_float16():
    for dtype in ("float16", "float32"):
        x = tr.ones(2, dtype=getattr(tr, dtype))
        assert (x * 2.5).dtype == (2.5 + x).dtype == (x / 3).dtype == (x ** 0.5).dtype == x.dtype


def test_integer_tensor_with_float32_or_a_float_is_float32():
    i = tr.tensor([1, 2])
    assert (i + tr.ones(2)).dtype == (i * 0.5).dtype == (i / 2).dtype == (i / i).dtype == tr.float32


def test_a_zero_dim_float64_tensor_does_not_widen_float32():
    assert (tr.ones(2) * tr.tensor(2.0, dtype=tr.float64)).dtype == tr.float32
    assert (tr.tensor([1, 2]) * tr.tensor(2.0, dtype=tr.float64)).dtype == tr.float64


@pytest.mark.parametrize("pair", [("int64", "float32"), ("int32", "float64"), ("float32", "float64"),
                                  ("float64", "int64")])
def test_matmul_of_different_dtypes_raises_as_torch(pair):
    a, b = pair
    with pytest.raises(RuntimeError):
        torch.ones(2, 2, dtype=getattr(torch, a)) @ torch.ones(2, 2, dtype=getattr(torch, b))
    with pytest.raises(RuntimeError, match=f"matmul: expected both operands to have the same dtype, got {a} and {b}"):
        tr.ones(2, 2, dtype=getattr(tr, a)) @ tr.ones(2, 2, dtype=getattr(tr, b))


def test_cat_and_stack_promote_as_torch():
    for names in (("int64", "float32"), ("float16", "float64"), ("bool", "int32"), ("uint8", "int8")):
        ours = tr.cat([_make(tr, n) for n in names])
        theirs = torch.cat([_make(torch, n) for n in names])
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        assert str(tr.stack([_make(tr, n) for n in names]).dtype) == str(ours.dtype)


@pytest.mark.parametrize("name, call", [
    ("comparison", lambda x: x > 0), ("eq", lambda x: x.eq(1.0)), ("long", lambda x: x.long()),
    ("int", lambda x: x.int()), ("bool", lambda x: x.bool()), ("argmax", lambda x: x.argmax()),
    ("argmin_dim", lambda x: x.argmin(0)), ("max_indices", lambda x: x.max(0).indices),
    ("sort_indices", lambda x: x.sort().indices), ("topk_indices", lambda x: x.topk(1).indices),
    ("argsort", lambda x: x.argsort()), ("isnan", lambda x: x.isnan()), ("to_int64", lambda x: x.to(tr.int64)),
    ("floor_divide_int", lambda x: x.long() // 2), ("cumsum_of_int", lambda x: x.long().cumsum(0)),
])
def test_integer_and_boolean_results_never_require_grad(name, call):
    x = tr.tensor([1.0, -2.0, 3.0], requires_grad=True)
    out = call(x)
    assert out.dtype.kind in "biu" and not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("target, call", [
    ("int64", lambda t: t.add_(0.5)), ("int64", lambda t: t.add_(t.float() + 0.5)),
    ("int64", lambda t: t.div_(2)), ("bool", lambda t: t.add_(1)), ("int32", lambda t: t.mul_(1.5)),
])
def test_in_place_op_refuses_a_result_its_dtype_cannot_hold_as_torch(target, call):
    values = [True, False] if target == "bool" else [1, 2]
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        call(torch.tensor(values, dtype=getattr(torch, target)))
    with pytest.raises(RuntimeError, match=rf"result type \w+ can't be cast to the desired output type {target}"):
        call(tr.tensor(values, dtype=getattr(tr, target if target != "bool" else "bool_")))


def test_in_place_op_keeps_the_tensor_dtype_when_the_result_fits():
    x = tr.ones(2)
    x += tr.ones(2, dtype=tr.float64)
    x.mul_(tr.tensor([2, 3]))
    y = tr.tensor([1, 2], dtype=tr.int32)
    y += tr.tensor([1, 1])
    assert x.dtype == tr.float32 and y.dtype == tr.int32
    np.testing.assert_array_equal(x.numpy(), [4.0, 6.0])


def test_small_integer_tensor_with_an_out_of_range_number_wraps_as_torch():
    for name, number in (("uint8", -1), ("uint8", 300), ("int8", 1000)):
        ours = _make(tr, name) + number
        theirs = _make(torch, name) + number
        assert str(ours.dtype) == name
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_clamp_of_integers_with_float_bounds_is_float32_as_torch():
    ours, theirs = tr.tensor([1, 2, 3]).clamp(0.5, 2.5), torch.tensor([1, 2, 3]).clamp(0.5, 2.5)
    assert ours.dtype == tr.float32 and theirs.dtype == torch.float32
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_floor_divide_and_remainder_as_torch():
    for a, b in (([7, -7, 5], 3), ([7.5, -7.5, 2.0], 2.0), ([7, -4], [2, 3])):
        ta, tb = torch.tensor(a), torch.tensor(b) if isinstance(b, list) else b
        oa, ob = tr.tensor(a), tr.tensor(b) if isinstance(b, list) else b
        for ours, theirs in ((oa // ob, ta // tb), (oa % ob, ta % tb), (tr.remainder(oa, ob), torch.remainder(ta, tb))):
            assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
            np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal((7 // tr.tensor([2, 3])).numpy(), (7 // torch.tensor([2, 3])).numpy())
    np.testing.assert_array_equal((7 % tr.tensor([2, 3])).numpy(), (7 % torch.tensor([2, 3])).numpy())


def test_remainder_gradient_as_torch():
    a, b = np.array([3.5, -2.0]), np.array([2.0, 1.5])
    oa, ob = (tr.tensor(v, dtype=tr.float64, requires_grad=True) for v in (a, b))
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    tr.remainder(oa, ob).sum().backward()
    torch.remainder(ta, tb).sum().backward()
    np.testing.assert_array_equal(oa.grad.numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(ob.grad.numpy(), tb.grad.numpy())


def test_integer_to_a_negative_integer_power_raises_as_torch():
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]) ** -1
    for dtype in (tr.int64, tr.uint8):
        with pytest.raises(RuntimeError, match="pow: integers to negative integer powers are not allowed"):
            tr.tensor([1, 2], dtype=dtype) ** -1
