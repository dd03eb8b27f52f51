"""tr.manual_seed drives every random draw: the same seed gives the same run, another seed
another run; a tr.Generator is a stream of its own that the global seed does not touch."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn
from tinygrad_rnn.utils.data import DataLoader, TensorDataset, random_split


def draws(device="cpu"):
    """Every kind of random draw the library makes, as NumPy arrays."""
    out = {
        "randn": tr.randn(3, 2, device=device), "rand": tr.rand(4, device=device),
        "randint": tr.randint(0, 100, (5,), device=device), "randperm": tr.randperm(10, device=device),
        "randn_like": tr.randn_like(tr.zeros(3)), "rand_like": tr.rand_like(tr.zeros(3)),
        "uniform_": tr.zeros(4).uniform_(-1, 1), "normal_": tr.zeros(4).normal_(0, 2),
    }
    init = {"nn.init.uniform_": nn.init.uniform_, "nn.init.normal_": nn.init.normal_,
            "nn.init.xavier_uniform_": nn.init.xavier_uniform_, "nn.init.orthogonal_": nn.init.orthogonal_,
            "nn.init.kaiming_uniform_": nn.init.kaiming_uniform_}
    for name, fill in init.items():
        out[name] = fill(tr.zeros(3, 4))
    modules = {"Linear": nn.Linear(3, 2), "Embedding": nn.Embedding(5, 3), "RNN": nn.RNN(2, 3),
               "LSTM": nn.LSTM(2, 3, num_layers=2, bidirectional=True), "GRU": nn.GRU(2, 3),
               "LSTMCell": nn.LSTMCell(2, 3), "MultiheadAttention": nn.MultiheadAttention(4, 2)}
    for name, module in modules.items():
        for pname, p in module.named_parameters():
            out[f"{name}.{pname}"] = p
    drop = nn.Dropout(0.5)
    drop.train()
    out["Dropout"] = drop(tr.ones(20, device=device))
    out["functional.dropout"] = nn.functional.dropout(tr.ones(20, device=device), p=0.3, training=True)
    lstm = nn.LSTM(2, 3, num_layers=2, dropout=0.5)
    lstm.train()
    out["LSTM(dropout) output"] = lstm(tr.ones(4, 2, 2))[0]
    out["DataLoader shuffle"] = tr.cat([b for (b,) in DataLoader(TensorDataset(tr.arange(30)), batch_size=7,
                                                                   shuffle=True)])
    out["random_split"] = tr.tensor(random_split(range(12), [0.5, 0.5])[0].indices)
    return {k: v.detach().numpy().copy() for k, v in out.items()}


def test_the_same_seed_gives_identical_numbers_everywhere():
    tr.manual_seed(1234)
    first = draws()
    tr.manual_seed(1234)
    second = draws()
    assert first.keys() == second.keys()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)


def test_another_seed_gives_other_numbers_everywhere():
    tr.manual_seed(1)
    first = draws()
    tr.manual_seed(2)
    second = draws()
    constant = {"MultiheadAttention.in_proj_bias", "MultiheadAttention.out_proj.bias"}  # zeros, as torch's
    same = [name for name in first if np.array_equal(first[name], second[name])]
    assert sorted(same) == sorted(constant)


def test_draws_on_the_device_repeat(device):
    tr.manual_seed(5)
    a = {k: v for k, v in draws(device).items()}
    tr.manual_seed(5)
    b = draws(device)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_a_training_run_repeats_to_the_last_bit():
    def train(seed):
        tr.manual_seed(seed)
        model = nn.LSTM(3, 5, dropout=0.3, num_layers=2)
        head = nn.Linear(5, 1)
        opt = tr.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=0.01)
        data = TensorDataset(tr.randn(16, 4, 3), tr.randn(16, 1))
        losses = []
        for xb, yb in DataLoader(data, batch_size=4, shuffle=True):
            opt.zero_grad()
            out, _ = model(xb.transpose(0, 1))
            loss = ((head(out[-1]) - yb) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, head.weight.numpy().copy()

    (l1, w1), (l2, w2), (l3, _) = train(0), train(0), train(1)
    assert l1 == l2 and np.array_equal(w1, w2) and l1 != l3


# ---- tr.Generator ----------------------------------------------------------------------------------

def test_generator_manual_seed_chains_and_repeats():
    g = tr.Generator()
    assert g.manual_seed(3) is g and g.initial_seed() == 3
    a = tr.randn(4, generator=g).numpy()
    b = tr.randn(4, generator=tr.Generator().manual_seed(3)).numpy()
    np.testing.assert_array_equal(a, b)


def test_generator_default_seed_is_torchs():
    torch = pytest.importorskip("torch")
    assert tr.Generator().initial_seed() == torch.Generator().initial_seed()


@pytest.mark.parametrize("draw", [
    lambda g: tr.randn(3, generator=g), lambda g: tr.rand(3, generator=g),
    lambda g: tr.randint(0, 9, (3,), generator=g), lambda g: tr.randperm(6, generator=g),
])
def test_a_generator_leaves_the_global_stream_alone(draw):
    tr.manual_seed(0)
    expected = tr.randn(5).numpy()
    tr.manual_seed(0)
    draw(tr.Generator().manual_seed(9))
    np.testing.assert_array_equal(tr.randn(5).numpy(), expected)


def test_generator_state_rewinds():
    g = tr.Generator().manual_seed(0)
    state = g.get_state()
    first = tr.rand(3, generator=g).numpy()
    g.set_state(state)
    np.testing.assert_array_equal(tr.rand(3, generator=g).numpy(), first)


def test_generator_seed_reseeds_from_entropy():
    g, h = tr.Generator(), tr.Generator()
    s = g.seed()
    assert g.initial_seed() == s and h.seed() != s  # two 64-bit draws from the OS's entropy


def test_a_cuda_generator_is_explained():
    with pytest.raises(ValueError, match=r"Generator: only host generators exist here \(device='cpu'\), "
                                         r"got device='cuda'"):
        tr.Generator(device="cuda")


def test_a_wrong_generator_is_explained():
    with pytest.raises(ValueError, match="randperm: generator must be a tr.Generator, got int"):
        tr.randperm(3, generator=0)


# ---- the seed itself -------------------------------------------------------------------------------

def test_a_negative_seed_is_read_as_torch_does():
    tr.manual_seed(-1)
    a = tr.randn(3).numpy()
    tr.manual_seed(2 ** 64 - 1)
    np.testing.assert_array_equal(tr.randn(3).numpy(), a)


@pytest.mark.parametrize("seed, message", [
    ("a", r"manual_seed: the seed must be an int, got str 'a'"),
    (float("nan"), r"manual_seed: the seed must be an int, got float nan"),
    (2 ** 64, r"manual_seed: the seed must lie in \[-2\*\*63, 2\*\*64\), got 18446744073709551616"),
])
def test_a_bad_seed_is_explained(seed, message):
    with pytest.raises(ValueError, match=message):
        tr.manual_seed(seed)
    with pytest.raises(ValueError, match="Generator." + message):
        tr.Generator().manual_seed(seed)


def test_a_numpy_integer_seed_is_accepted():
    tr.manual_seed(np.int64(4))
    a = tr.rand(2).numpy()
    tr.manual_seed(4)
    np.testing.assert_array_equal(tr.rand(2).numpy(), a)


def test_multinomial_draws_from_a_generator_and_repeats_with_its_seed():
    weights = tr.tensor([[0.1, 0.5, 0.4], [1.0, 0.0, 3.0]])
    draws = [weights.multinomial(2, generator=tr.Generator().manual_seed(7)).numpy() for _ in range(2)]
    np.testing.assert_array_equal(draws[0], draws[1])
    with_replacement = [tr.multinomial(weights, 5, True, generator=tr.Generator().manual_seed(7)).numpy()
                        for _ in range(2)]
    np.testing.assert_array_equal(with_replacement[0], with_replacement[1])
    assert (with_replacement[0][1] != 1).all()                          # a weight of 0 is never drawn


def test_normal_as_torch_normal_shapes_dtypes_and_seed():
    torch = pytest.importorskip("torch")
    for lib in (tr, torch):
        assert tuple(lib.normal(0.0, 1.0, size=(2, 3)).shape) == (2, 3)
        assert tuple(lib.normal(lib.zeros(3, 1), lib.ones(4)).shape) == (3, 4)
        assert str(lib.normal(lib.zeros(2, dtype=lib.float64), 2.0).dtype).endswith("float64")
        mean = lib.zeros(2, requires_grad=True)
        sample = lib.normal(mean, 1.0)
        sample.sum().backward()                                    # in the graph, gradient zero, as torch's
        assert sample.requires_grad and mean.grad.tolist() == [0.0, 0.0]
    tr.manual_seed(3)
    first = tr.normal(2.0, 0.5, size=(4,))
    tr.manual_seed(3)
    again = tr.normal(2.0, 0.5, size=(4,))
    tr.manual_seed(3)
    assert first.tolist() == again.tolist() == (tr.randn(4) * 0.5 + 2.0).tolist()
    with pytest.raises(tr.OpError, match=r"normal: with a number for mean and std, give size=\(...\) too"):
        tr.normal(0.0, 1.0)
    with pytest.raises(tr.OpError, match="normal: std must be >= 0, got -1"):
        tr.normal(0.0, -1, size=(2,))
