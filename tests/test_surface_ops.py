"""PyTorch's everyday Tensor methods (tensor_surface.py): each differentiable one against
central differences in float64 (tr.gradcheck) and against PyTorch's values and gradients,
on every device."""

import math

import numpy as np
import pytest

import tinygrad_rnn as tr

torch = pytest.importorskip("torch")

# (name, fn, input shapes, positive inputs): fn is written once, with the names both libraries share
DIFFERENTIABLE = [
    ("repeat", lambda x: x.repeat(2, 1, 3), [(2, 3)], False),
    ("repeat_same_rank", lambda x: x.repeat(3, 2), [(2, 3)], False),
    ("tile", lambda x: x.tile(2), [(2, 3)], False),
    ("flip", lambda x: x.flip(0, 1), [(2, 3)], False),
    ("flip_last", lambda x: x.flip(-1), [(3, 4)], False),
    ("flip_dims_keyword", lambda x: x.flip(dims=[0, 1]) + _lib(x).flip(x, dims=(1,)), [(3, 4)], False),
    ("unbind", lambda x: x.unbind(1)[2] * 2 + x.unbind(0)[0][:1], [(2, 3)], False),
    ("index_select", lambda x: x.index_select(1, _index(x, [2, 0, 2])), [(3, 4)], False),
    ("index_select_dim0", lambda x: x.index_select(0, _index(x, [1, 1])), [(3, 4)], False),
    ("sort", lambda x: x.sort(dim=1).values, [(3, 5)], False),
    ("sort_descending", lambda x: x.sort(dim=0, descending=True).values, [(4, 3)], False),
    ("topk", lambda x: x.topk(2).values, [(3, 5)], False),
    ("topk_smallest", lambda x: x.topk(3, dim=0, largest=False).values, [(4, 3)], False),
    ("cumsum", lambda x: x.cumsum(dim=1), [(3, 4)], False),
    ("cumsum_dim0", lambda x: x.cumsum(0), [(3, 4)], False),
    ("maximum", lambda a, b: a.maximum(b), [(3, 4), (3, 4)], False),
    ("maximum_broadcast", lambda a, b: a.maximum(b), [(3, 4), (4,)], False),
    ("minimum", lambda a, b: a.minimum(b), [(3, 4), (3, 1)], False),
    ("log1p", lambda x: x.log1p(), [(3, 4)], True),
    ("expm1", lambda x: x.expm1(), [(3, 4)], False),
    ("square", lambda x: x.square(), [(3, 4)], False),
    ("reciprocal", lambda x: x.reciprocal(), [(3, 4)], True),
    ("rsqrt", lambda x: x.rsqrt(), [(3, 4)], True),
    ("log2", lambda x: x.log2(), [(3, 4)], True),
    ("log10", lambda x: x.log10(), [(3, 4)], True),
    ("exp2", lambda x: x.exp2(), [(3, 4)], False),
    ("sign", lambda x: x.sign() * x, [(3, 4)], False),
    ("floor", lambda x: (x * 3).floor() + x, [(3, 4)], False),
    ("ceil", lambda x: (x * 3).ceil() * x, [(3, 4)], False),
    ("round", lambda x: (x * 3).round() - x, [(3, 4)], False),
    ("clamp_min", lambda x: x.clamp_min(0.1), [(3, 4)], False),
    ("clamp_max", lambda x: x.clamp_max(-0.1), [(3, 4)], False),
    ("var", lambda x: x.var(), [(3, 4)], False),
    ("var_dim", lambda x: x.var(dim=1, keepdim=True), [(3, 4)], False),
    ("var_biased", lambda x: x.var(0, unbiased=False), [(3, 4)], False),
    ("std", lambda x: x.std(dim=0), [(3, 4)], False),
    ("norm", lambda x: x.norm(), [(3, 4)], False),
    ("norm_dim", lambda x: x.norm(dim=1), [(3, 4)], False),
    ("norm_p1", lambda x: x.norm(p=1, dim=0, keepdim=True), [(3, 4)], False),
    ("norm_p3", lambda x: x.norm(p=3), [(3, 4)], False),
    ("amax", lambda x: x.amax(dim=1), [(3, 4)], False),
    ("amin", lambda x: x.amin(dim=0, keepdim=True), [(3, 4)], False),
    ("logsumexp", lambda x: x.logsumexp(dim=1), [(3, 4)], False),
    ("logsumexp_keepdim", lambda x: x.logsumexp(0, keepdim=True), [(3, 4)], False),
    ("prod", lambda x: x.prod(dim=1), [(3, 4)], False),
    ("prod_all", lambda x: x.prod(), [(2, 3)], False),
    ("where_method", lambda x: x.where(x > 0, x * 3), [(3, 4)], False),
    ("remainder", lambda a, b: a.remainder(b.abs() + 0.5), [(3, 4), (3, 4)], False),
    ("fmod", lambda a, b: _lib(a).fmod(a, b.abs() + 0.5), [(3, 4), (3, 4)], False),
    # the rest of the everyday surface, held to the same two checks
    ("view", lambda x: x.view(4, 3) * 2, [(3, 4)], False),
    ("view_as", lambda x: x.view_as(x.new_zeros(12)), [(3, 4)], False),
    ("reshape", lambda x: x.reshape(-1, 2), [(3, 4)], False),
    ("t_contiguous", lambda x: x.t().contiguous().view(12), [(3, 4)], False),
    ("narrow", lambda x: x.narrow(1, 1, 2), [(3, 4)], False),
    ("squeeze_unsqueeze", lambda x: x.unsqueeze(1).squeeze(1).unsqueeze(-1), [(3, 4)], False),
    ("flatten", lambda x: x.flatten(1), [(2, 3, 4)], False),
    ("expand", lambda x: x.expand(2, 3, 4), [(3, 1)], False),
    ("expand_as", lambda a, b: a.expand_as(b) * b, [(1, 4), (3, 4)], False),
    ("permute", lambda x: x.permute(2, 0, 1), [(2, 3, 4)], False),
    ("transpose", lambda x: x.transpose(0, 2), [(2, 3, 4)], False),
    ("chunk", lambda x: x.chunk(3, dim=1)[1] * 2 + x.chunk(3, dim=1)[2].sum(), [(2, 6)], False),
    ("split", lambda x: _lib(x).split(x, [1, 3], dim=1)[1], [(2, 4)], False),
    ("gather", lambda x: x.gather(1, _index(x, [[0, 0], [2, 1]])), [(2, 3)], False),
    ("masked_fill", lambda x: x.masked_fill(x > 0, 0.5), [(3, 4)], False),
    ("clamp", lambda x: x.clamp(-0.5, 0.5), [(3, 4)], False),
    ("softmax_dim", lambda x: x.softmax(dim=0), [(3, 4)], False),
    ("log_softmax_dim", lambda x: _lib(x).log_softmax(x, dim=1), [(3, 4)], False),
    ("sum_keepdim", lambda x: x.sum(dim=1, keepdim=True), [(3, 4)], False),
    ("mean_dims", lambda x: x.mean(dim=(0, 2)), [(2, 3, 4)], False),
    ("max_dim", lambda x: x.max(dim=1).values + x.min(dim=0, keepdim=True).values.sum(), [(3, 4)], False),
    ("cat", lambda a, b: _lib(a).cat([a, b], dim=1), [(2, 3), (2, 2)], False),
    ("stack", lambda a, b: _lib(a).stack([a, b], dim=1), [(2, 3), (2, 3)], False),
    ("bmm", lambda a, b: _lib(a).bmm(a, b), [(2, 3, 4), (2, 4, 5)], False),
    ("matmul", lambda a, b: _lib(a).matmul(a, b), [(3, 4), (4,)], False),
    ("tril", lambda x: _lib(x).tril(x), [(3, 4)], False),
    ("triu", lambda x: _lib(x).triu(x, 1), [(3, 4)], False),
    ("module_sin_cos", lambda x: _lib(x).sin(x) * _lib(x).cos(x), [(3, 4)], False),
    ("module_exp_log", lambda x: _lib(x).exp(x) + _lib(x).log(x), [(3, 4)], True),
    ("module_tanh_sigmoid", lambda x: _lib(x).tanh(x) * _lib(x).sigmoid(x), [(3, 4)], False),
    ("tan", lambda x: (x * 0.5).tan(), [(3, 4)], False),
    ("atan", lambda x: x.atan(), [(3, 4)], False),
    ("asin_acos", lambda x: (x * 0.3).asin() + (x * 0.2).acos(), [(3, 4)], False),
    ("sinh_cosh", lambda x: x.sinh() * x.cosh(), [(3, 4)], False),
    ("module_trig", lambda x: _lib(x).atan(_lib(x).tan(x * 0.3)) + _lib(x).sinh(x), [(3, 4)], False),
    ("mm_method", lambda a, b: a.mm(b), [(3, 4), (4, 2)], False),
    ("bmm_method", lambda a, b: a.bmm(b), [(2, 3, 4), (2, 4, 5)], False),
    ("mv", lambda a, b: a.mv(b), [(3, 4), (4,)], False),
    ("dot", lambda a, b: _lib(a).dot(a, b), [(4,), (4,)], False),
    ("outer", lambda a, b: _lib(a).outer(a, b), [(3,), (4,)], False),
    ("addmm", lambda c, a, b: _lib(a).addmm(c, a, b, beta=0.5, alpha=2.0), [(3, 2), (3, 4), (4, 2)], False),
    ("select", lambda x: x.select(1, -1), [(3, 4)], False),
    ("movedim", lambda x: x.movedim(0, -1), [(2, 3, 4)], False),
    ("unflatten", lambda x: x.unflatten(1, (2, 2)), [(3, 4)], False),
    ("roll", lambda x: x.roll(1, 1) + x.roll((2, -1), (0, 1)), [(3, 4)], False),
    ("roll_flat", lambda x: x.roll(5), [(3, 4)], False),
    ("repeat_interleave", lambda x: x.repeat_interleave(2, dim=1), [(3, 4)], False),
    ("repeat_interleave_flat", lambda x: x.repeat_interleave(3), [(2, 2)], False),
    ("masked_select", lambda x: x.masked_select(x > 0), [(3, 4)], False),
    ("diag_vector", lambda x: x.diag(1), [(3,)], False),
    ("diag_matrix", lambda x: x.diag(-1) * 2, [(3, 4)], False),
    ("nan_to_num", lambda x: x.nan_to_num(), [(3, 4)], False),
    ("broadcast_to", lambda x: x.broadcast_to(2, 3, 4), [(3, 4)], False),
    ("einsum_bmm", lambda a, b: _lib(a).einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 5)], False),
    ("einsum_attention", lambda q, k: _lib(q).einsum("bhqd,bhkd->bhqk", q, k), [(2, 2, 3, 4), (2, 2, 5, 4)], False),
    ("einsum_outer", lambda a, b: _lib(a).einsum("i,j->ij", a, b), [(3,), (4,)], False),
    ("einsum_implicit", lambda a, b: _lib(a).einsum("ij,jk", a, b), [(2, 3), (3, 4)], False),
    ("einsum_sum_all", lambda a: _lib(a).einsum("ij->", a), [(3, 4)], False),
    ("einsum_summed_alone", lambda a, b: _lib(a).einsum("ij,kl->", a, b), [(2, 3), (4, 5)], False),
    ("einsum_ellipsis_broadcast", lambda a, b: _lib(a).einsum("...ij,...jk->...ik", a, b), [(2, 1, 3, 4), (5, 4, 2)],
     False),
    ("einsum_list", lambda a, b: _lib(a).einsum("ij,ij->i", [a, b]), [(3, 4), (3, 4)], False),
    ("tril_method", lambda x: x.tril(-1) + x.triu(), [(3, 4)], False),
    ("tensor_sin_cos", lambda x: x.sin() + x.cos() ** 2, [(3, 4)], False),
]


def _lib(x):
    """The library a tensor belongs to: tr or torch."""
    return tr if isinstance(x, tr.Tensor) else torch


def _index(x, values):
    """An int64 index tensor of the library x belongs to, on x's device."""
    if isinstance(x, tr.Tensor):
        return tr.tensor(values, device=x.device)
    return torch.tensor(values)


def _inputs(shapes, positive, device):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in shapes]
    if positive:
        arrays = [abs(a) + 0.5 for a in arrays]
    ours = [tr.tensor(a, dtype=tr.float64, device=device, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


@pytest.mark.parametrize("name, fn, shapes, positive", DIFFERENTIABLE, ids=[c[0] for c in DIFFERENTIABLE])
def test_gradient_matches_central_differences(device, name, fn, shapes, positive):
    ours, _ = _inputs(shapes, positive, device)
    assert tr.gradcheck(fn, ours)


@pytest.mark.parametrize("name, fn, shapes, positive", DIFFERENTIABLE, ids=[c[0] for c in DIFFERENTIABLE])
def test_values_and_gradients_match_torch(device, name, fn, shapes, positive):
    ours, theirs = _inputs(shapes, positive, device)
    out, expected = fn(*ours), fn(*theirs)
    assert tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    weights = np.random.default_rng(4).standard_normal(tuple(expected.shape))
    (out * tr.tensor(weights, device=device)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("pick", ["maximum", "minimum"])
def test_maximum_and_minimum_split_the_gradient_of_ties_as_torch(device, pick):
    a = np.array([1.0, 2.0, 3.0, -1.0])
    b = np.array([1.0, 0.0, 3.0, 5.0])
    ours = [tr.tensor(v, dtype=tr.float64, device=device, requires_grad=True) for v in (a, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    getattr(tr, pick)(*ours).sum().backward()
    getattr(torch, pick)(*theirs).sum().backward()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_array_equal(mine.grad.numpy(), reference.grad.numpy())


def test_norm_of_zeros_has_gradient_zero_as_torch(device):
    x = tr.zeros(3, dtype=tr.float64, device=device, requires_grad=True)
    expected = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    x.norm().backward()
    expected.norm().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected.grad.numpy())


def test_logsumexp_of_a_row_of_minus_infinity_is_minus_infinity(device):
    x = tr.tensor([[-math.inf, -math.inf], [0.0, 1.0]], dtype=tr.float64, device=device)
    expected = torch.tensor([[-math.inf, -math.inf], [0.0, 1.0]], dtype=torch.float64).logsumexp(1)
    np.testing.assert_allclose(x.logsumexp(1).numpy(), expected.numpy())


def test_logsumexp_does_not_overflow(device):
    x = tr.tensor([1000.0, 1000.0], dtype=tr.float64, device=device)
    assert x.logsumexp(0).item() == pytest.approx(1000.0 + math.log(2.0))


def test_prod_gradient_is_right_at_a_zero(device):
    x = tr.tensor([2.0, 0.0, 3.0], dtype=tr.float64, device=device, requires_grad=True)
    expected = torch.tensor([2.0, 0.0, 3.0], dtype=torch.float64, requires_grad=True)
    x.prod().backward()
    expected.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected.grad.numpy())


def test_sort_and_topk_return_named_pairs_with_torch_indices(device):
    data = np.array([[3.0, 1.0, 2.0, 5.0], [0.5, -1.0, 4.0, 2.0]], dtype=np.float32)
    x, expected = tr.tensor(data, device=device), torch.tensor(data)
    pairs = [(x.sort(1), expected.sort(1)), (x.sort(0, descending=True), expected.sort(0, True)),
             (x.topk(2), expected.topk(2)), (x.topk(3, largest=False), expected.topk(3, largest=False)),
             (tr.sort(x, 1), torch.sort(expected, 1)), (tr.topk(x, 1, dim=0), torch.topk(expected, 1, 0))]
    for mine, reference in pairs:
        values, indices = mine
        np.testing.assert_array_equal(mine.values.numpy(), reference.values.numpy())
        np.testing.assert_array_equal(indices.numpy(), reference.indices.numpy())
        assert indices.dtype == tr.int64 and not indices.requires_grad
    np.testing.assert_array_equal(x.argsort(1).numpy(), expected.argsort(1).numpy())
    np.testing.assert_array_equal(tr.argsort(x, 0, descending=True).numpy(),
                                  torch.argsort(expected, 0, descending=True).numpy())


def test_sort_keeps_ties_in_order_and_puts_nan_last(device):
    x = tr.tensor([2.0, 1.0, 2.0, float("nan"), 1.0], device=device)
    np.testing.assert_array_equal(x.sort().indices.numpy(), [1, 4, 0, 2, 3])
    np.testing.assert_array_equal(x.sort(descending=True).indices.numpy(), [3, 0, 2, 1, 4])
    expected = torch.tensor([2.0, 1.0, 2.0, float("nan"), 1.0]).sort(stable=True)
    np.testing.assert_array_equal(x.sort().indices.numpy(), expected.indices.numpy())


def test_cumsum_of_integers_is_int64_and_needs_no_grad(device):
    x = tr.tensor([[1, 2], [3, 4]], dtype=tr.int32, device=device)
    out = x.cumsum(0)
    assert out.dtype == tr.int64 and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), torch.tensor([[1, 2], [3, 4]], dtype=torch.int32).cumsum(0).numpy())
    np.testing.assert_array_equal(tr.tensor([True, False, True], device=device).cumsum(0).numpy(), [1, 1, 2])


def test_index_select_gradient_accumulates_repeats(device):
    x = tr.ones(3, 2, dtype=tr.float64, device=device, requires_grad=True)
    x.index_select(0, tr.tensor([2, 2, 0], device=device)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1], [0, 0], [2, 2]])


def test_repeat_with_a_list_and_leading_axes_matches_torch(device):
    data = np.arange(6.0).reshape(2, 3)
    out = tr.tensor(data, device=device).repeat([2, 1, 2])
    np.testing.assert_array_equal(out.numpy(), torch.tensor(data).repeat([2, 1, 2]).numpy())


def test_rounding_of_integers_keeps_the_dtype(device):
    x = tr.tensor([-2, 0, 3], device=device)
    for name in ("floor", "ceil", "round", "sign"):
        out, expected = getattr(x, name)(), getattr(torch.tensor([-2, 0, 3]), name)()
        np.testing.assert_array_equal(out.numpy(), expected.numpy())
        assert str(out.dtype) == str(expected.dtype).replace("torch.", "")


def test_round_takes_halves_to_even_as_torch(device):
    data = [0.5, 1.5, 2.5, -0.5, -1.5]
    np.testing.assert_array_equal(tr.tensor(data, device=device).round().numpy(), torch.tensor(data).round().numpy())


def test_isnan_isinf_isfinite_give_booleans(device):
    data = [1.0, float("nan"), float("inf"), -float("inf")]
    x, expected = tr.tensor(data, device=device), torch.tensor(data)
    for name in ("isnan", "isinf", "isfinite"):
        out = getattr(tr, name)(x)
        assert out.dtype == tr.bool_ and not out.requires_grad
        np.testing.assert_array_equal(out.numpy(), getattr(torch, name)(expected).numpy())


def test_var_and_std_match_torch_over_dims_and_corrections(device):
    data = np.random.default_rng(0).standard_normal((3, 4, 2))
    x, expected = tr.tensor(data, device=device), torch.tensor(data)
    for args, kwargs in [((), {}), ((1,), {}), (((0, 2),), {"keepdim": True}), ((2,), {"correction": 0})]:
        for name in ("var", "std"):
            np.testing.assert_allclose(getattr(x, name)(*args, **kwargs).numpy(),
                                       getattr(expected, name)(*args, **kwargs).numpy(), rtol=1e-12)


def test_logic_and_counting_as_torch(device):
    data = np.array([[0.0, 1.5, -2.0], [3.0, 0.0, 1.5]])
    x, expected = tr.tensor(data, device=device), torch.tensor(data)
    pairs = [
        (x.logical_and(x > 1), expected.logical_and(expected > 1)),
        (tr.logical_or(x, x < 0), torch.logical_or(expected, expected < 0)),
        (x.logical_xor(x > 1), expected.logical_xor(expected > 1)),
        (tr.logical_not(x), torch.logical_not(expected)),
        (x.isclose(x + 1e-9), expected.isclose(expected + 1e-9)), (x.count_nonzero(), expected.count_nonzero()),
        (x.count_nonzero(0), expected.count_nonzero(0)), (x.nonzero(), expected.nonzero()),
        (tr.argwhere(x), torch.argwhere(expected)), (x.unique(), expected.unique()),
        (tr.tensor([2, 0, 2, 5], device=device).bincount(), torch.tensor([2, 0, 2, 5]).bincount()),
    ]
    for ours, theirs in pairs:
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "") and not ours.requires_grad
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for ours, theirs in zip(x.nonzero(as_tuple=True), expected.nonzero(as_tuple=True)):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    values, inverse, counts = x.unique(return_inverse=True, return_counts=True)
    reference = expected.unique(return_inverse=True, return_counts=True)
    for ours, theirs in zip((values, inverse, counts), reference):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_bernoulli_draws_ones_with_the_given_probability(device):
    p = tr.full((20000,), 0.3, dtype=tr.float64, device=device)
    draws = p.bernoulli()
    assert draws.dtype == tr.float64 and set(np.unique(draws.numpy())) <= {0.0, 1.0}
    assert abs(draws.numpy().mean() - 0.3) < 0.015
    assert abs(tr.bernoulli(p).numpy().mean() - 0.3) < 0.015


def test_nan_to_num_replaces_nan_and_infinities_as_torch(device):
    data = [float("nan"), float("inf"), -float("inf"), 1.5]
    for kwargs in ({}, {"nan": 2.0, "posinf": 9.0, "neginf": -9.0}):
        ours = tr.tensor(data, dtype=tr.float64, device=device).nan_to_num(**kwargs)
        np.testing.assert_array_equal(ours.numpy(), torch.tensor(data, dtype=torch.float64).nan_to_num(**kwargs))


@pytest.mark.parametrize("p", [0, -1, -math.inf, math.inf, "fro", 0.5])
def test_norm_orders_as_torch(device, p):
    data = np.array([[3.0, -4.0, 0.5], [1.0, 2.0, -0.25]])
    ours = tr.tensor(data, device=device).norm(p=p)
    expected = torch.tensor(data).norm(p=p)
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tr.tensor(data, device=device).norm(p=p, dim=1).numpy(),
                               torch.tensor(data).norm(p=p, dim=1).numpy(), rtol=1e-12)
