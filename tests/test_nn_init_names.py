"""nn.init's remaining PyTorch names: eye_, dirac_, sparse_, trunc_normal_, the private fan helper and
the deprecated names without the underscore; deterministic ones against PyTorch's numbers."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.nn import init

torch = pytest.importorskip("torch")


def test_every_public_torch_init_name_exists():
    names = [n for n in dir(torch.nn.init) if n.endswith("_") and not n.startswith("_") or n in
             ("calculate_gain", "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
              "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse", "_calculate_fan_in_and_fan_out")]
    assert [n for n in names if not hasattr(init, n)] == []


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_eye_matches_torch(device, shape):
    ours = init.eye_(tr.zeros(*shape, device=device))
    np.testing.assert_array_equal(ours.numpy(), torch.nn.init.eye_(torch.empty(shape)).numpy())


@pytest.mark.parametrize("shape,groups", [((2, 3, 3), 1), ((4, 2, 3, 3), 2), ((3, 3, 1, 3, 3), 1), ((6, 2, 5), 3)])
def test_dirac_matches_torch(shape, groups):
    ours = init.dirac_(tr.ones(*shape), groups)
    np.testing.assert_array_equal(ours.numpy(), torch.nn.init.dirac_(torch.empty(shape), groups).numpy())


def test_sparse_zeroes_the_asked_fraction_of_each_column():
    w = init.sparse_(tr.ones(10, 4), 0.3, std=0.5)
    zeros_per_column = (w.numpy() == 0).sum(axis=0)
    assert zeros_per_column.tolist() == [3, 3, 3, 3]


def test_trunc_normal_stays_inside_its_bounds():
    w = init.trunc_normal_(tr.zeros(4000), mean=0.5, std=1.0, a=0.0, b=1.5).numpy()
    assert w.min() >= 0.0 and w.max() <= 1.5 and abs(w.mean() - 0.73) < 0.05   # the truncated mean


def test_init_is_in_place_and_returns_the_tensor(device):
    w = tr.zeros(3, 3, device=device)
    assert init.trunc_normal_(w) is w and init.eye_(w) is w and init.sparse_(w, 0.5) is w


@pytest.mark.parametrize("name", ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "linear", "tanh",
                                  "relu", "selu", "sigmoid"])
def test_calculate_gain_matches_torch(name):
    assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))


def test_private_fan_helper_matches_torch():
    assert init._calculate_fan_in_and_fan_out(tr.zeros(4, 3, 5)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(4, 3, 5))


def test_deprecated_names_warn_as_torch_and_still_work():
    with pytest.warns(FutureWarning, match=r"`nn.init.uniform` is now deprecated in favor of `nn.init.uniform_`"):
        w = init.uniform(tr.zeros(5), 2.0, 3.0)
    assert w.numpy().min() >= 2.0


def test_init_errors():
    with pytest.raises(tr.OpError, match=r"eye_: only tensors with 2 dimensions are supported, got shape \(2, 2, 2\)"):
        init.eye_(tr.zeros(2, 2, 2))
    with pytest.raises(tr.OpError, match=r"dirac_: only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(tr.zeros(2, 2))
    with pytest.raises(tr.OpError, match=r"dirac_: dim 0 \(3\) must be divisible by groups \(2\)"):
        init.dirac_(tr.zeros(3, 1, 3), groups=2)
    with pytest.raises(tr.OpError, match=r"sparse_: only tensors with 2 dimensions are supported"):
        init.sparse_(tr.zeros(2, 2, 2), 0.5)
    with pytest.raises(tr.OpError, match=r"trunc_normal_: the bounds must satisfy a < b, got a=1 and b=0"):
        init.trunc_normal_(tr.zeros(2), a=1, b=0)


class StandInGenerator:
    """What init reads of a tr.Generator: its host NumPy stream, .rng."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)


@pytest.mark.parametrize("name,args", [("uniform_", ()), ("normal_", ()), ("xavier_uniform_", ()),
                                       ("xavier_normal_", ()), ("kaiming_uniform_", ()), ("kaiming_normal_", ()),
                                       ("orthogonal_", ()), ("trunc_normal_", ()), ("sparse_", (0.5,))])
def test_generator_argument_gives_its_own_reproducible_stream(name, args):
    fill = getattr(init, name)
    first = fill(tr.zeros(4, 3), *args, generator=StandInGenerator(5)).numpy()
    tr.manual_seed(123)   # the global stream plays no part
    again = fill(tr.zeros(4, 3), *args, generator=StandInGenerator(5)).numpy()
    other = fill(tr.zeros(4, 3), *args, generator=StandInGenerator(6)).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_generator_of_the_wrong_kind_is_refused():
    with pytest.raises(tr.OpError, match=r"uniform_: generator must be a tr.Generator, got int"):
        init.uniform_(tr.zeros(2), generator=3)
