"""Hostile arguments to the tensor API get PyTorch's exception type, as the library's named error
(OpError and its kinds: ArgumentTypeError is a TypeError, DimError an IndexError, and every OpError
is a RuntimeError and a ValueError too), with a message naming the op. Each case runs under
PyTorch first, so the table itself is checked against the reference."""

import math

import numpy as np
import pytest

import tinygrad_rnn as tr

torch = pytest.importorskip("torch")


def _x(lib):
    return lib.tensor([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]])


def _parameter(lib):
    return lib.nn.Parameter(lib.zeros(3))


def _backward(lib, gradient):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward(gradient=gradient)


def _set_grad(lib, value):
    _parameter(lib).grad = value(lib)


# (id, call(lib), PyTorch's exception type, what our message must say)
CASES = [
    # argument types: TypeError
    ("permute_floats", lambda m: _x(m).permute(0.0, 1.0), TypeError, "permute: sizes must be ints"),
    ("reshape_float", lambda m: _x(m).reshape(3.0, 2), TypeError, "reshape: sizes must be ints"),
    ("view_float", lambda m: _x(m).view(3.0, 2), TypeError, "view: sizes must be ints"),
    ("expand_float", lambda m: _x(m)[:1].expand(2.0, 3), TypeError, "expand: sizes must be ints"),
    ("transpose_float", lambda m: _x(m).transpose(0.0, 1), TypeError, "transpose: dim must be an int"),
    ("unsqueeze_float", lambda m: _x(m).unsqueeze(1.0), TypeError, "unsqueeze: dim must be an int"),
    ("squeeze_float", lambda m: _x(m).squeeze(1.0), TypeError, "squeeze: dim must be an int"),
    ("sum_dim_float", lambda m: _x(m).sum(dim=1.0), TypeError, "sum: dim must be an int"),
    ("max_dim_float", lambda m: _x(m).max(1.0), TypeError, "max: dim must be an int"),
    ("softmax_dim_float", lambda m: _x(m).softmax(1.0), TypeError, "softmax: dim must be an int"),
    ("cumsum_dim_float", lambda m: _x(m).cumsum(1.0), TypeError, "cumsum: dim must be an int"),
    ("cat_dim_float", lambda m: m.cat([_x(m), _x(m)], dim=1.0), TypeError, "cat: dim must be an int"),
    ("chunk_float", lambda m: _x(m).chunk(2.0), TypeError, "chunk: chunks must be an int"),
    ("split_float", lambda m: _x(m).split(1.5), TypeError, "split: split_size_or_sections must be an int"),
    ("backward_string", lambda m: _backward(m, "abc"), TypeError, "backward: gradient must be a Tensor"),
    ("backward_bool", lambda m: _backward(m, True), TypeError, "backward: gradient must be a Tensor"),
    ("grad_list", lambda m: _set_grad(m, lambda lib: [1.0, 2.0, 3.0]), TypeError, "grad: expected a Tensor"),
    ("zeros_float_size", lambda m: m.zeros(2.0), TypeError, "zeros: sizes must be ints"),
    ("tensor_of_strings", lambda m: m.tensor("abc"), TypeError, "tensor: data must be numbers"),
    ("index_with_float_tensor", lambda m: [1, 2][m.tensor(1.0)], TypeError, "index: only a one-element integer"),
    ("linear_float_features", lambda m: m.nn.Linear(2.0, 2), TypeError, "Linear: in_features must be an int"),
    ("embedding_float_size", lambda m: m.nn.Embedding(2.0, 2), TypeError, "Embedding: num_embeddings must be"),
    ("clip_norm_type_none", lambda m: m.nn.utils.clip_grad_norm_([_parameter(m)], 1.0, norm_type=None),
     TypeError, "clip_grad_norm_: norm_type must be a number"),
    ("roll_float_shift", lambda m: _x(m).roll(1.5, 0), TypeError, "roll: each shift must be an int"),
    ("select_float_index", lambda m: _x(m).select(0, 1.0), TypeError, "select: index must be an int"),
    ("sort_float_dim", lambda m: _x(m).sort(1.0), TypeError, "sort: dim must be an int"),
    ("topk_float_k", lambda m: _x(m).topk(1.0), TypeError, "topk: k must be an int"),
    ("index_select_float_dim", lambda m: _x(m).index_select(1.0, m.tensor([0])), TypeError,
     "index_select: dim must be an int"),
    ("new_full_float_size", lambda m: _x(m).new_full(2.5, 1.0), TypeError, "full: size must be an int"),
    ("var_float_dim", lambda m: _x(m).var(1.0), TypeError, "var: dim must be an int"),
    ("flip_float_dim", lambda m: _x(m).flip(0.0), TypeError, "flip: each size must be an int"),
    ("repeat_float", lambda m: _x(m).repeat(2.0, 1), TypeError, "repeat: each size must be an int"),
    ("multinomial_float_count", lambda m: m.multinomial(m.tensor([1.0, 1.0]), 1.0), TypeError,
     "multinomial: num_samples must be an int"),
    ("type_of_a_number", lambda m: _x(m).type(5), TypeError, "5 is not a dtype"),
    ("one_hot_float_classes", lambda m: m.nn.functional.one_hot(m.tensor([1]), 3.0), TypeError,
     "one_hot: num_classes must be an int"),
    ("sum_keepdim_string", lambda m: _x(m).sum(0, "yes"), TypeError, "sum: keepdim must be True or False"),
    ("max_keepdim_none", lambda m: _x(m).max(0, None), TypeError, "max: keepdim must be True or False"),
    ("view_as_number", lambda m: _x(m).view_as(1.5), TypeError, "view_as: expected a Tensor"),
    ("expand_as_none", lambda m: _x(m).expand_as(None), TypeError, "expand_as: expected a Tensor"),
    ("type_as_string", lambda m: _x(m).type_as("abc"), TypeError, "type_as: expected a Tensor"),
    ("cat_of_none", lambda m: m.cat(None), TypeError, "cat: expected a list or tuple of tensors"),
    ("cat_of_a_number", lambda m: m.cat(1.5), TypeError, "cat: expected a list or tuple of tensors"),
    ("mm_with_none", lambda m: m.mm(_x(m), None), TypeError, "mm: expected Tensors"),
    ("bmm_with_string", lambda m: m.bmm(_x(m), "abc"), TypeError, "bmm: expected Tensors"),
    ("full_like_object", lambda m: m.full_like(_x(m), object()), TypeError, "full_like: the fill value must be"),
    ("eye_of_a_list", lambda m: m.eye([]), TypeError, "eye: n and m must be ints"),
    ("randperm_string", lambda m: m.randperm("abc"), TypeError, "randperm: n must be an int"),
    ("randint_lists", lambda m: m.randint([], [], (2,)), TypeError, "randint: low must be an int"),
    ("isclose_rtol_none", lambda m: _x(m).isclose(_x(m), None), TypeError, "isclose: rtol must be a number"),
    ("is_floating_point_number", lambda m: m.is_floating_point(1.5), TypeError, "is_floating_point: expected a"),
    ("all_of_a_string", lambda m: m.all("abc"), TypeError, "all: expected a Tensor"),
    ("tril_float_diagonal", lambda m: m.tril(_x(m), 1.5), TypeError, "tril: diagonal must be an int"),
    ("randn_like_none", lambda m: m.randn_like(None), TypeError, "randn_like: expected a Tensor"),
    ("exp_of_a_list", lambda m: m.exp([1.0]), TypeError, "exp: expected a Tensor"),
    ("allclose_string", lambda m: m.allclose(_x(m), "abc"), TypeError, "cannot use an input of type str"),
    ("add_a_string", lambda m: _x(m) + "abc", TypeError, "cannot use an input of type str"),
    ("einsum_equation_not_a_string", lambda m: m.einsum(5, m.ones(2)), TypeError,
     "einsum: the equation must be a string"),
    ("einsum_operand_not_a_tensor", lambda m: m.einsum("ij", [1.0]), TypeError, "einsum: operand #0 is a float"),
    # dims out of range: IndexError
    ("unbind_zero_dim", lambda m: m.tensor(2.0).unbind(), IndexError, "unbind: a 0-d tensor has no dimension"),
    ("select_out_of_range", lambda m: _x(m).select(0, 5), IndexError, "select: index 5 is out of range"),
    ("movedim_out_of_range", lambda m: _x(m).movedim(0, 5), IndexError, "movedim: dim 5 is out of range"),
    ("permute_dim_out_of_range", lambda m: _x(m).permute(0, 2), IndexError, "permute: dim 2 is out of range"),
    ("sum_dim_out_of_range", lambda m: _x(m).sum(dim=5), IndexError, "sum: dim 5 is out of range"),
    ("softmax_dim_out_of_range", lambda m: _x(m).softmax(2), IndexError, "softmax: dim 2 is out of range"),
    ("transpose_dim_out_of_range", lambda m: _x(m).transpose(0, 5), IndexError, "transpose: dim 5 is out of range"),
    ("unsqueeze_dim_out_of_range", lambda m: _x(m).unsqueeze(4), IndexError, "unsqueeze: dim 4 is out of range"),
    ("size_dim_out_of_range", lambda m: _x(m).size(2), IndexError, "size: dim 2 is out of range"),
    ("cumsum_dim_out_of_range", lambda m: _x(m).cumsum(2), IndexError, "cumsum: dim 2 is out of range"),
    ("sort_dim_out_of_range", lambda m: _x(m).sort(dim=3), IndexError, "sort: dim 3 is out of range"),
    ("argmax_dim_out_of_range", lambda m: _x(m).argmax(dim=2), IndexError, "argmax: dim 2 is out of range"),
    ("cat_dim_out_of_range", lambda m: m.cat([_x(m), _x(m)], dim=2), IndexError, "cat: dim 2 is out of range"),
    ("stack_dim_out_of_range", lambda m: m.stack([_x(m), _x(m)], dim=4), IndexError, "stack: dim 4 is out of range"),
    ("index_select_matrix_index", lambda m: _x(m).index_select(1, m.tensor([[0]])), IndexError,
     "index_select: index must be 0-d or 1-D"),
    ("embedding_float_padding_idx", lambda m: m.nn.Embedding(5, 3, padding_idx=2.0), IndexError,
     "Embedding: padding_idx must be an int"),
    # values: RuntimeError
    ("permute_repeated_dim", lambda m: _x(m).permute(0, 0), RuntimeError, r"permute: \(0, 0\) is not a permutation"),
    ("permute_too_few_dims", lambda m: _x(m).permute(0), RuntimeError, r"permute: \(0,\) is not a permutation"),
    ("zeros_2_to_62", lambda m: m.zeros(2 ** 62), RuntimeError, "zeros: cannot allocate"),
    ("zeros_2_to_31_squared", lambda m: m.zeros(2 ** 31, 2 ** 31), RuntimeError, "zeros: cannot allocate"),
    ("ones_2_to_62", lambda m: m.ones(2 ** 62), RuntimeError, "ones: cannot allocate"),
    ("empty_2_to_62", lambda m: m.empty(2 ** 62), RuntimeError, "empty: cannot allocate"),
    ("full_2_to_62", lambda m: m.full((2 ** 62,), 1.0), RuntimeError, "full: cannot allocate"),
    ("randn_2_to_62", lambda m: m.randn(2 ** 62), RuntimeError, "randn: cannot allocate"),
    ("rand_2_to_62", lambda m: m.rand(2 ** 62), RuntimeError, "rand: cannot allocate"),
    ("arange_2_to_62", lambda m: m.arange(0, 2 ** 62), RuntimeError, "arange: cannot allocate"),
    ("zeros_negative", lambda m: m.zeros(-1), RuntimeError, "zeros: sizes must be non-negative"),
    ("ones_negative", lambda m: m.ones(2, -3), RuntimeError, "ones: sizes must be non-negative"),
    ("new_zeros_negative", lambda m: _x(m).new_zeros(-1), RuntimeError, "zeros: sizes must be non-negative"),
    ("eye_negative", lambda m: m.eye(-1), RuntimeError, "eye: sizes must be non-negative"),
    ("linspace_negative_steps", lambda m: m.linspace(0, 1, -1), RuntimeError, "linspace: steps must be non-negative"),
    ("arange_wrong_sign", lambda m: m.arange(5, 0, 1), RuntimeError, "arange: the bounds 5 and 0 disagree"),
    ("randint_empty_range", lambda m: m.randint(5, 5, (2,)), RuntimeError, "randint: expected low < high"),
    ("split_negative_size", lambda m: _x(m).split(-1), RuntimeError, "split: the piece size must be positive"),
    ("split_zero_size", lambda m: _x(m).split(0), RuntimeError, "split: the piece size must be positive"),
    ("split_negative_section", lambda m: _x(m).split([3, -1], dim=1), RuntimeError,
     "split: sizes must be non-negative"),
    ("split_sections_wrong_sum", lambda m: _x(m).split([1, 1], dim=1), RuntimeError, "split: sizes .* add up to 2"),
    ("chunk_zero", lambda m: _x(m).chunk(0), RuntimeError, "chunk: chunks must be a positive int"),
    ("narrow_negative_length", lambda m: _x(m).narrow(1, 0, -1), RuntimeError, "narrow: start 0 and length -1"),
    ("narrow_past_the_end", lambda m: _x(m).narrow(1, 2, 3), RuntimeError, "narrow: start 2 and length 3"),
    ("expand_mismatch", lambda m: _x(m).expand(3, 3), RuntimeError, "expand: a tensor of shape"),
    ("repeat_fewer_sizes", lambda m: _x(m).repeat(2), RuntimeError, "repeat: got 1 sizes"),
    ("repeat_negative", lambda m: _x(m).repeat(-1, 1), RuntimeError, "repeat: sizes must be non-negative"),
    ("index_select_float_index", lambda m: _x(m).index_select(1, m.tensor([0.0])), RuntimeError,
     "index_select: index must be an integer tensor"),
    ("index_select_out_of_range", lambda m: _x(m).index_select(1, m.tensor([5])), RuntimeError,
     "index_select: index 5 is out of range"),
    ("gather_float_index", lambda m: _x(m).gather(1, m.tensor([[0.0]])), RuntimeError,
     "gather: index must be an integer tensor"),
    ("topk_k_too_large", lambda m: _x(m).topk(4), RuntimeError, "topk: k = 4 is out of range"),
    ("topk_k_negative", lambda m: _x(m).topk(-1), RuntimeError, "topk: k = -1 is out of range"),
    ("multinomial_negative_weight", lambda m: m.multinomial(m.tensor([-1.0, 2.0]), 1), RuntimeError,
     "multinomial: the weights contain inf, nan or a negative"),
    ("multinomial_nan_weight", lambda m: m.multinomial(m.tensor([math.nan, 1.0]), 1), RuntimeError,
     "multinomial: the weights contain inf, nan"),
    ("multinomial_inf_weight", lambda m: m.multinomial(m.tensor([math.inf, 1.0]), 1), RuntimeError,
     "multinomial: the weights contain inf"),
    ("multinomial_zero_weights", lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1), RuntimeError,
     "multinomial: a row of weights sums to 0"),
    ("multinomial_too_many", lambda m: m.multinomial(m.tensor([1.0, 1.0]), 3), RuntimeError,
     "multinomial: cannot draw 3 samples from 2 categories"),
    ("multinomial_integer_weights", lambda m: m.multinomial(m.tensor([1, 1]), 1), RuntimeError,
     "multinomial: the weights must be floating point"),
    ("multinomial_3d", lambda m: m.multinomial(m.ones(2, 2, 2), 1), RuntimeError,
     "multinomial: the weights must be 1-D or 2-D"),
    ("bool_of_many", lambda m: bool(m.tensor([1.0, 2.0])), RuntimeError, "bool: the truth value"),
    ("item_of_many", lambda m: m.tensor([1, 2]).item(), RuntimeError, "item: only a tensor with one element"),
    ("stack_nothing", lambda m: m.stack([]), RuntimeError, "stack: expected a non-empty list"),
    ("matmul_int_float", lambda m: m.ones(2, dtype=m.long) @ m.ones(2), RuntimeError,
     "matmul: expected both operands to have the same dtype"),
    ("to_a_dtype_name", lambda m: _x(m).to("float64"), RuntimeError, "unknown device 'float64'"),
    ("requires_grad_on_integers", lambda m: m.zeros(2, dtype=m.long).requires_grad_(), RuntimeError,
     "requires_grad: only floating-point tensors"),
    ("grad_float64_on_float32", lambda m: _set_grad(m, lambda lib: lib.zeros(3, dtype=lib.float64)), RuntimeError,
     "grad: assigned a gradient of dtype float64 to a tensor of dtype float32"),
    ("grad_int64_on_float32", lambda m: _set_grad(m, lambda lib: lib.zeros(3, dtype=lib.int64)), RuntimeError,
     "grad: assigned a gradient of dtype int64"),
    ("grad_wrong_shape", lambda m: _set_grad(m, lambda lib: lib.zeros(4)), RuntimeError,
     r"grad: assigned a gradient of shape \(4,\)"),
    ("linear_negative_features", lambda m: m.nn.Linear(-1, 2), RuntimeError, "Linear: in_features must be an int >= 0"),
    ("embedding_negative_size", lambda m: m.nn.Embedding(-1, 2), RuntimeError, "Embedding: num_embeddings must be"),
    ("one_hot_negative_id", lambda m: m.nn.functional.one_hot(m.tensor([-1, 0]), 3), RuntimeError,
     "one_hot: class ids must be non-negative"),
    ("one_hot_id_too_large", lambda m: m.nn.functional.one_hot(m.tensor([3]), 3), RuntimeError,
     "one_hot: class id 3 is not smaller than num_classes = 3"),
    ("one_hot_float_ids", lambda m: m.nn.functional.one_hot(m.tensor([1.0]), 3), RuntimeError,
     "one_hot: expects an integer tensor"),
    ("floor_divide_int_by_zero", lambda m: m.tensor([1]) // 0, RuntimeError, "floor_divide: .*division by zero"),
    ("movedim_repeated", lambda m: _x(m).movedim((0, 0), (0, 1)), RuntimeError, "movedim: source .* must be distinct"),
    ("repeat_interleave_negative", lambda m: _x(m).repeat_interleave(-1), RuntimeError,
     "repeat_interleave: repeats must be a non-negative int"),
    ("repeat_interleave_wrong_count", lambda m: _x(m).repeat_interleave(m.tensor([1, 2, 3]), dim=0), RuntimeError,
     "repeat_interleave: repeats must be a non-negative int or one per element of dim 0"),
    ("unflatten_wrong_sizes", lambda m: _x(m).unflatten(1, (2, 2)), RuntimeError,
     "unflatten: sizes .* don't multiply up to the size of dim 1"),
    ("bincount_negative", lambda m: m.tensor([-1, 2]).bincount(), RuntimeError, "bincount: the values must be"),
    ("bernoulli_above_one", lambda m: m.tensor([1.5]).bernoulli(), RuntimeError, "bernoulli: the probabilities must"),
    ("diag_of_3d", lambda m: m.ones(2, 2, 2).diag(), RuntimeError, "diag: expects a 1-D or 2-D tensor"),
    ("dot_of_matrices", lambda m: m.dot(_x(m), _x(m)), RuntimeError, "dot: expects two 1-D tensors"),
    ("outer_of_matrices", lambda m: m.outer(_x(m), _x(m)), RuntimeError, "outer: expects two 1-D tensors"),
    ("mm_shapes", lambda m: _x(m).mm(_x(m)), RuntimeError, r"matmul: shapes \(2, 3\) and \(2, 3\) do not align"),
    ("masked_select_float_mask", lambda m: _x(m).masked_select(_x(m)), RuntimeError,
     "masked_select: the mask must be a boolean tensor"),
    ("multinomial_zero_count", lambda m: m.multinomial(m.tensor([1.0, 1.0]), 0), RuntimeError,
     "multinomial: num_samples must be positive"),
    ("split_zero_dim", lambda m: m.tensor(2.0).split(1), RuntimeError, "split: a 0-d tensor has no dimension"),
    ("less_not_broadcasting", lambda m: _x(m) < m.tensor([1.0, 2.0]), RuntimeError, r"less: shapes \(2, 3\) and"),
    ("eq_not_broadcasting", lambda m: _x(m).eq(m.ones(4)), RuntimeError, r"equal: shapes \(2, 3\) and \(4,\)"),
    ("add__not_broadcasting", lambda m: _x(m).add_(m.tensor([1.0, 2.0])), RuntimeError, "add_: operands could not"),
    ("copy__not_broadcasting", lambda m: _x(m).copy_(m.tensor([1.0, 2.0])), RuntimeError, "copy_: could not broadcast"),
    ("logical_and_not_broadcasting", lambda m: _x(m).logical_and(m.tensor([True, False])), RuntimeError,
     r"logical_and: shapes \(2, 3\) and \(2,\)"),
    ("einsum_too_few_operands", lambda m: m.einsum("ij,jk", m.ones(2, 3)), RuntimeError,
     "einsum: the equation 'ij,jk' names 2 operands but 1 were given"),
    ("einsum_mixed_dtypes", lambda m: m.einsum("ij,jk", m.ones(2, 3), m.ones(3, 4, dtype=m.float64)), RuntimeError,
     "einsum: the operands must share one dtype"),
    ("einsum_subscripts_do_not_fit", lambda m: m.einsum("ijk", m.ones(2, 3)), RuntimeError,
     r"einsum: subscripts 'ijk' do not fit an operand of shape \(2, 3\)"),
    ("einsum_unknown_output_letter", lambda m: m.einsum("ij->k", m.ones(2, 3)), RuntimeError,
     "einsum: the output subscripts 'k' must be distinct letters of the inputs"),
    # Python conversions: ValueError
    ("int_of_many", lambda m: int(m.tensor([1, 2])), ValueError, "only a tensor with one element"),
    ("float_of_many", lambda m: float(m.tensor([1.0, 2.0])), ValueError, "only a tensor with one element"),
    ("int_of_empty", lambda m: int(m.tensor([])), ValueError, "only a tensor with one element"),
    ("manual_seed_string", lambda m: m.manual_seed("a"), ValueError, "manual_seed: the seed must be an int"),
    ("clip_norm_type_fro", lambda m: m.nn.utils.clip_grad_norm_([_parameter(m)], 1.0, norm_type="fro"),
     ValueError, "clip_grad_norm_: norm_type must be a number"),
]


@pytest.mark.parametrize("name, call, kind, message", CASES, ids=[c[0] for c in CASES])
def test_hostile_argument_raises_torch_exception_type_as_a_named_error(name, call, kind, message):
    with pytest.raises(kind):
        call(torch)
    with pytest.raises(kind, match=message) as caught:
        call(tr)
    assert isinstance(caught.value, (tr.OpError, tr.GraphError, tr.DeviceError))


@pytest.mark.parametrize("padding_idx", [5, -6])
def test_embedding_padding_idx_out_of_range_is_a_value_error(padding_idx):
    # PyTorch asserts (AssertionError); a bare assertion is no error message, so the library raises its own
    with pytest.raises(AssertionError):
        torch.nn.Embedding(5, 3, padding_idx=padding_idx)
    with pytest.raises(tr.OpError, match=f"Embedding: padding_idx {padding_idx} is out of range for 5 embeddings"):
        tr.nn.Embedding(5, 3, padding_idx=padding_idx)


@pytest.mark.parametrize("norm_type", [math.inf, -math.inf, 0, 0.5, 1, 2, 3.5, -1, "inf", math.nan])
def test_clip_grad_norm_norm_types_as_torch(norm_type):
    grads = [np.array([3.0, -4.0, 0.0]), np.array([1.0, 0.5])]
    ours = [tr.nn.Parameter(tr.zeros(len(g), dtype=tr.float64)) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(len(g), dtype=torch.float64)) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = tr.tensor(g), torch.tensor(g)
    total = tr.nn.utils.clip_grad_norm_(ours, 1.0, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type=norm_type)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)


def test_refused_float64_gradient_leaves_the_float32_parameter_float32():
    model = tr.nn.Linear(2, 1)
    optimizer = tr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(tr.OpError, match="grad: assigned a gradient of dtype float64"):
        model.weight.grad = tr.ones(1, 2, dtype=tr.float64)
    model(tr.ones(3, 2)).sum().backward()
    optimizer.step()
    assert model.weight.dtype == tr.float32 and model.weight.grad.dtype == tr.float32


def test_split_with_zero_size_is_allowed_on_an_empty_dim_as_torch():
    assert [tuple(p.shape) for p in tr.zeros(0).split(0)] == [tuple(p.shape) for p in torch.zeros(0).split(0)]


def test_manual_seed_truncates_a_float_as_torch():
    tr.manual_seed(1.5)
    first = tr.rand(3).numpy()
    tr.manual_seed(1)
    np.testing.assert_array_equal(tr.rand(3).numpy(), first)
