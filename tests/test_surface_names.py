"""PyTorch's names on the Tensor and the module behave as PyTorch's: new_* constructors, dtype
conversions, Python numbers from one-element tensors, typed constructors, devices, tr.accelerator,
sampling, and the module-level functions."""

import numpy as np
import pytest

import tinygrad_rnn as tr

torch = pytest.importorskip("torch")

DATA = np.array([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]], dtype=np.float32)


def _name(dtype):
    """'float32' for tr.float32 and torch.float32 alike."""
    return str(np.dtype(dtype)) if not isinstance(dtype, torch.dtype) else str(dtype).replace("torch.", "")


# ---- shape questions --------------------------------------------------------------
def test_size_is_a_tr_size_equal_to_torch_size():
    x = tr.tensor(DATA)
    assert x.size() == torch.tensor(DATA).size() == (2, 3) == tr.Size([2, 3])
    assert isinstance(x.size(), tr.Size) and isinstance(x.size(), tuple)
    assert x.size(-1) == 3 and x.size().numel() == x.numel() == 6 and x.dim() == x.ndim == 2


# ---- new tensors like this one --------------------------------------------------------
NEW = [
    ("new_zeros", lambda x: x.new_zeros(2, 3)),
    ("new_zeros_tuple", lambda x: x.new_zeros((2, 3))),
    ("new_ones", lambda x: x.new_ones(4)),
    ("new_full", lambda x: x.new_full((2,), 7)),
    ("new_tensor_ints", lambda x: x.new_tensor([1, 2])),
    ("new_tensor_floats", lambda x: x.new_tensor([1.5, 2])),
    ("new_empty_shape", lambda x: x.new_empty(2, 3).fill_(1)),
    ("double_new_zeros", lambda x: x.double().new_zeros(2)),
    ("long_new_ones", lambda x: x.long().new_ones(3)),
    ("new_zeros_dtype", lambda x: x.new_zeros(2, dtype=x.long().dtype)),
]


@pytest.mark.parametrize("name, fn", NEW, ids=[n for n, _ in NEW])
def test_new_constructors_take_dtype_and_values_as_torch(device, name, fn):
    ours, theirs = fn(tr.tensor(DATA, device=device)), fn(torch.tensor(DATA))
    assert _name(ours.dtype) == _name(theirs.dtype)
    assert ours.device == device and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_new_zeros_can_require_grad(device):
    out = tr.tensor(DATA, device=device).new_zeros(2, requires_grad=True)
    assert out.requires_grad and out.is_leaf


# ---- dtypes --------------------------------------------------------------------------
def test_dtype_objects_and_aliases_are_torch_names():
    pairs = [(tr.float32, torch.float32), (tr.float64, torch.float64), (tr.int64, torch.int64),
             (tr.bool, torch.bool), (tr.float, torch.float), (tr.double, torch.double), (tr.half, torch.half),
             (tr.long, torch.long), (tr.int, torch.int)]
    for ours, theirs in pairs:
        assert _name(ours) == _name(theirs)


@pytest.mark.parametrize("convert", ["long", "int", "float", "double", "bool", "half"])
def test_conversion_methods_give_torch_dtypes(convert):
    ours, theirs = getattr(tr.tensor(DATA), convert)(), getattr(torch.tensor(DATA), convert)()
    assert _name(ours.dtype) == _name(theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("target", ["float64", "DoubleTensor", "torch.DoubleTensor", "LongTensor",
                                    "torch.cuda.FloatTensor", "torch.IntTensor"])
def test_type_takes_a_dtype_a_typed_constructor_or_its_name(target):
    x = tr.tensor(DATA)
    if target == "float64":
        ours, theirs = x.type(tr.float64), torch.tensor(DATA).type(torch.float64)
    elif "." in target:
        ours = x.type(target)
        theirs = torch.tensor(DATA).type(target.replace(".cuda", "")) if "cuda" in target else \
            torch.tensor(DATA).type(target)
    else:
        ours, theirs = x.type(getattr(tr, target)), torch.tensor(DATA).type(getattr(torch, target))
    assert _name(ours.dtype) == _name(theirs.dtype)


def test_type_without_argument_names_the_tensor_type():
    assert tr.tensor(DATA).type() == torch.tensor(DATA).type() == "torch.FloatTensor"
    assert tr.tensor([1, 2]).type() == torch.tensor([1, 2]).type() == "torch.LongTensor"


def test_type_with_an_unknown_name_is_the_library_error():
    with pytest.raises(tr.OpError, match="type: 'Complex99Tensor' is not a dtype"):
        tr.tensor(DATA).type("torch.Complex99Tensor")


@pytest.mark.parametrize("constructor, args", [
    ("LongTensor", ([1, 2],)), ("FloatTensor", ([1, 2.5],)), ("DoubleTensor", ([[1, 2]],)),
    ("FloatTensor", (2, 3)), ("LongTensor", (4,)), ("BoolTensor", ([True, False],)), ("IntTensor", ([3],)),
])
def test_typed_constructors_as_torch(constructor, args):
    ours, theirs = getattr(tr, constructor)(*args), getattr(torch, constructor)(*args)
    assert _name(ours.dtype) == _name(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    if theirs.numel() and args and isinstance(args[0], list):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_is_floating_point_and_get_default_dtype():
    assert tr.tensor(DATA).is_floating_point() and not tr.tensor([1]).is_floating_point()
    assert tr.is_floating_point(tr.tensor(DATA)) == torch.is_floating_point(torch.tensor(DATA))
    assert _name(tr.get_default_dtype()) == _name(torch.get_default_dtype())
    assert tr.is_tensor(tr.tensor(1)) and not tr.is_tensor(1) and isinstance(tr.ones(1), tr.Tensor)


@pytest.mark.parametrize("a, b", [("int64", "float32"), ("bool", "int32"), ("uint8", "int8"), ("float16", "float64"),
                                  ("int32", "int64")])
def test_promote_types_as_torch(a, b):
    assert _name(tr.promote_types(getattr(tr, a if a != "bool" else "bool_"), getattr(tr, b))) == \
        _name(torch.promote_types(getattr(torch, a), getattr(torch, b)))


@pytest.mark.parametrize("other", [1, 2.5, True])
def test_result_type_with_a_number_as_torch(other):
    for data in ([1, 2], [1.0, 2.0], [True, False]):
        assert _name(tr.result_type(tr.tensor(data), other)) == _name(torch.result_type(torch.tensor(data), other))


# ---- Python numbers from tensors -----------------------------------------------------
@pytest.mark.parametrize("convert", [int, float, bool])
def test_one_element_tensors_convert_to_python_numbers(convert):
    for data in (3, [3], [[2.5]], True):
        assert convert(tr.tensor(data)) == convert(torch.tensor(data))


@pytest.mark.parametrize("convert, kind", [(int, ValueError), (float, ValueError), (bool, RuntimeError)])
def test_many_element_tensors_refuse_conversion_with_torch_exception_type(convert, kind):
    with pytest.raises(kind):
        convert(torch.tensor([1, 2]))
    with pytest.raises(kind, match=r"shape \(2,\)"):
        convert(tr.tensor([1, 2]))


def test_index_takes_one_element_integer_tensors_only():
    items = [10, 20, 30]
    assert items[tr.tensor(2)] == items[torch.tensor(2)] == 30
    assert items[tr.tensor([1])] == items[torch.tensor([1])] == 20
    with pytest.raises(TypeError):
        items[torch.tensor(1.0)]
    with pytest.raises(TypeError, match="index: only a one-element integer tensor"):
        items[tr.tensor(1.0)]


def test_tolist_as_torch():
    for data in ([[1, 2], [3, 4]], 2.5, [True, False], []):
        assert tr.tensor(data).tolist() == torch.tensor(data).tolist()


# ---- devices -------------------------------------------------------------------------
def test_device_objects_are_accepted_wherever_a_device_string_is():
    cpu = tr.device("cpu")
    made = [tr.zeros(2, device=cpu), tr.ones(2, device=cpu), tr.randn(2, device=cpu), tr.arange(3, device=cpu),
            tr.tensor([1.0], device=cpu), tr.full((2,), 1.0, device=cpu), tr.eye(2, device=cpu),
            tr.linspace(0, 1, 3, device=cpu), tr.randint(0, 3, (2,), device=cpu), tr.rand(2, device=cpu),
            tr.zeros(2).to(cpu), tr.zeros(2).new_zeros(2, device=cpu), tr.zeros(2).to("cpu:0"),
            tr.zeros_like(tr.zeros(2), device=cpu), tr.tensor([1.0]).to(device=cpu, dtype=tr.float64)]
    assert all(t.device == "cpu" and t.device.type == "cpu" for t in made)
    model = tr.nn.Linear(2, 2).to(cpu).to("cpu:0")
    assert model.weight.device == "cpu"


def test_accelerator_answers_as_torch_accelerator():
    assert tr.accelerator.is_available() == tr.cuda.is_available()
    current = tr.accelerator.current_accelerator()
    if tr.cuda.is_available():
        assert current == "cuda" and current.type == "cuda"
    else:
        assert current is None
    device = tr.accelerator.current_accelerator() if tr.accelerator.is_available() else "cpu"
    assert tr.zeros(1, device=device).device == device
    assert tr.accelerator.device_count() == tr.cuda.device_count()


# ---- sampling ------------------------------------------------------------------------
def test_multinomial_with_replacement_draws_in_proportion_to_the_weights(device):
    weights = tr.tensor([1.0, 2.0, 0.0, 7.0], device=device)  # need not sum to 1
    draws = tr.multinomial(weights, 20000, replacement=True)
    assert draws.dtype == tr.int64 and tuple(draws.shape) == (20000,)
    counts = np.bincount(draws.numpy(), minlength=4) / 20000
    np.testing.assert_allclose(counts, [0.1, 0.2, 0.0, 0.7], atol=0.015)


def test_multinomial_without_replacement_never_repeats_and_follows_sequential_draws(device):
    rows = tr.tensor([[0.5, 0.3, 0.2, 0.0]], device=device).expand(4000, 4).contiguous()
    draws = rows.multinomial(2).numpy()
    assert all(len(set(r)) == 2 for r in draws) and not (draws == 3).any()
    # first draw ~ p; second draw of 0 (= P(first 1) 0.5/0.7 + P(first 2) 0.5/0.8) = 0.3*0.714 + 0.2*0.625
    np.testing.assert_allclose(np.bincount(draws[:, 0], minlength=3)[:3] / 4000, [0.5, 0.3, 0.2], atol=0.03)
    assert abs((draws[:, 1] == 0).mean() - (0.3 * 0.5 / 0.7 + 0.2 * 0.5 / 0.8)) < 0.03


def test_multinomial_repeats_under_manual_seed(device):
    weights = tr.tensor([[0.2, 0.8], [0.6, 0.4]], device=device)
    tr.manual_seed(7)
    first = weights.multinomial(5, replacement=True).numpy()
    tr.manual_seed(7)
    np.testing.assert_array_equal(weights.multinomial(5, replacement=True).numpy(), first)
    assert first.shape == (2, 5)


def test_multinomial_all_categories_without_replacement_is_a_permutation(device):
    out = tr.tensor([1.0, 1.0, 1.0, 1.0, 1.0], device=device).multinomial(5).numpy()
    assert sorted(out.tolist()) == [0, 1, 2, 3, 4]


# ---- module functions ----------------------------------------------------------------
ELEMENTWISE = ["exp", "log", "tanh", "sigmoid", "sin", "cos", "sqrt", "abs", "neg", "relu", "log1p", "expm1",
               "square", "reciprocal", "rsqrt", "log2", "log10", "exp2", "sign", "floor", "ceil", "round", "trunc"]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_module_functions_as_torch(device, name):
    data = np.abs(DATA).astype(np.float64) + 0.25
    ours, theirs = getattr(tr, name)(tr.tensor(data, device=device)), getattr(torch, name)(torch.tensor(data))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    np.testing.assert_allclose(getattr(tr.tensor(data, device=device), name)().numpy(), theirs.numpy(), rtol=1e-12)


MODULE_CALLS = [
    ("cumsum", lambda m, x: m.cumsum(x, dim=1)),
    ("index_select", lambda m, x: m.index_select(x, 0, m.tensor([1, 0, 1]))),
    ("maximum", lambda m, x: m.maximum(x, x * 2)),
    ("minimum", lambda m, x: m.minimum(x, m.zeros(3))),
    ("clamp_min", lambda m, x: m.clamp_min(x, 0.0)),
    ("flip", lambda m, x: m.flip(x, [1])),
    ("unbind", lambda m, x: m.unbind(x, 1)[1]),
    ("tile", lambda m, x: m.tile(x, (2,))),
    ("var", lambda m, x: m.var(x, 1)),
    ("std", lambda m, x: m.std(x)),
    ("norm", lambda m, x: m.norm(x)),
    ("logsumexp", lambda m, x: m.logsumexp(x, 1)),
    ("prod", lambda m, x: m.prod(x, 0)),
    ("amax", lambda m, x: m.amax(x, 1)),
    ("argsort", lambda m, x: m.argsort(x, 1)),
    ("masked_fill", lambda m, x: m.masked_fill(x, x > 0, 0.0)),
    ("all", lambda m, x: m.all(x > -2)),
    ("any", lambda m, x: m.any(x > 1, 1)),
    ("isnan", lambda m, x: m.isnan(x)),
    ("tril", lambda m, x: m.tril(x)),
    ("triu", lambda m, x: m.triu(x, 1)),
    ("tril_bool_mask", lambda m, x: m.tril(m.ones(3, 4, dtype=m.bool))),   # a causal mask stays bool
    ("triu_int", lambda m, x: m.triu((x * 10).long(), -1)),
]


@pytest.mark.parametrize("name, fn", MODULE_CALLS, ids=[n for n, _ in MODULE_CALLS])
def test_module_functions_as_torch(name, fn):
    ours, theirs = fn(tr, tr.tensor(DATA)), fn(torch, torch.tensor(DATA))
    assert _name(ours.dtype) == _name(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_allclose_as_torch():
    a, b = DATA, DATA + 1e-7
    assert tr.allclose(tr.tensor(a), tr.tensor(b)) == torch.allclose(torch.tensor(a), torch.tensor(b)) is True
    assert tr.allclose(tr.tensor(a), tr.tensor(a + 1)) is False


def test_inference_mode_records_no_graph():
    x = tr.ones(2, requires_grad=True)
    with tr.inference_mode():
        y = x * 2
    assert not y.requires_grad


@pytest.mark.parametrize("ids, num_classes", [([0, 2, 1], 3), ([[1], [0]], -1), ([3], 5), ([], 2)])
def test_one_hot_as_torch(device, ids, num_classes):
    ours = tr.nn.functional.one_hot(tr.tensor(ids, dtype=tr.int64, device=device), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(ids, dtype=torch.int64), num_classes)
    assert ours.dtype == tr.int64 and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_of_two_tensors_are_elementwise_as_torch(name):
    a, b = DATA, DATA[::-1].copy()
    ours = getattr(tr, name)(tr.tensor(a), tr.tensor(b))
    np.testing.assert_array_equal(ours.numpy(), getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy())
    np.testing.assert_array_equal(getattr(tr.tensor(a), name)(tr.tensor(b)).numpy(), ours.numpy())


@pytest.mark.parametrize("constructor, data", [("LongTensor", [1, 2]), ("FloatTensor", [1.5]),
                                               ("DoubleTensor", [2.0]), ("BoolTensor", [True])])
def test_isinstance_of_a_typed_constructor_asks_the_dtype_as_torch(constructor, data):
    for lib in (tr, torch):
        made = getattr(lib, constructor)(data)
        assert isinstance(made, getattr(lib, constructor)) and isinstance(made, lib.Tensor)
        others = [n for n in ("LongTensor", "FloatTensor", "DoubleTensor", "BoolTensor") if n != constructor]
        assert not any(isinstance(made, getattr(lib, n)) for n in others)


def test_a_size_in_a_checkpoint_loads_back_as_its_tuple():
    import io
    buffer = io.BytesIO()
    tr.save({"shape": tr.zeros(2, 3).size()}, buffer)
    buffer.seek(0)
    assert tr.load(buffer) == {"shape": (2, 3)}


def test_a_device_in_a_checkpoint_loads_back_as_the_device():
    import io
    buffer = io.BytesIO()
    tr.save({"device": tr.zeros(1).device, "named": tr.device("cpu")}, buffer)
    buffer.seek(0)
    loaded = tr.load(buffer)
    assert loaded == {"device": "cpu", "named": "cpu"} and loaded["device"].type == "cpu"
