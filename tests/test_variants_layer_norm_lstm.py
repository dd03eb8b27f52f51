"""Layer-normalised LSTM: its equations, its gradients, PyTorch's ops written out, and its drawing."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn

NAMES = ("weight_ih", "weight_hh", "bias", "ln_ih_weight", "ln_ih_bias", "ln_hh_weight", "ln_hh_bias",
         "ln_c_weight", "ln_c_bias")


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def ln(a, w, b, eps=1e-5):
    mean = a.mean(axis=-1, keepdims=True)
    var = ((a - mean) ** 2).mean(axis=-1, keepdims=True)
    return (a - mean) / np.sqrt(var + eps) * w + b


def reference_step(x, h, c, p):
    """Ba et al.: LN of each product, the sum plus a bias gives the gates; h sees LN(c)."""
    a = (ln(x @ p["weight_ih"].T, p["ln_ih_weight"], p["ln_ih_bias"])
         + ln(h @ p["weight_hh"].T, p["ln_hh_weight"], p["ln_hh_bias"]) + p["bias"])
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    c = sigmoid(a_f) * c + sigmoid(a_i) * np.tanh(a_g)
    return sigmoid(a_o) * np.tanh(ln(c, p["ln_c_weight"], p["ln_c_bias"])), c


def randomised(module):
    """Gains and shifts away from 1 and 0, so that a test sees them act."""
    module = module.double()
    with tr.no_grad():
        for name, p in module.named_parameters():
            if name.startswith("ln_"):
                p.copy_(tr.tensor(np.random.default_rng(len(name)).uniform(0.5, 1.5, p.shape)))
    return module


def arrays(module, suffix=""):
    return {name: getattr(module, name + suffix).numpy() for name in NAMES}


def test_cell_parameters_and_their_starting_values():
    cell = nn.LayerNormLSTMCell(3, 5)
    shapes = {name: tuple(p.shape) for name, p in cell.named_parameters()}
    assert shapes == {"weight_ih": (20, 3), "weight_hh": (20, 5), "bias": (20,), "ln_ih_weight": (20,),
                      "ln_ih_bias": (20,), "ln_hh_weight": (20,), "ln_hh_bias": (20,), "ln_c_weight": (5,),
                      "ln_c_bias": (5,)}
    assert np.all(cell.ln_c_weight.numpy() == 1) and np.all(cell.ln_ih_bias.numpy() == 0)
    assert np.abs(cell.weight_hh.numpy()).max() <= 1 / np.sqrt(5)


def test_cell_matches_the_equations(device):
    cell = randomised(nn.LayerNormLSTMCell(3, 4)).to(device)
    x = tr.randn(2, 3, dtype=tr.float64, device=device)
    h, c = tr.randn(2, 4, dtype=tr.float64, device=device), tr.randn(2, 4, dtype=tr.float64, device=device)
    h_new, c_new = cell(x, (h, c))
    want_h, want_c = reference_step(x.numpy(), h.numpy(), c.numpy(), arrays(cell))
    np.testing.assert_allclose(h_new.numpy(), want_h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_new.numpy(), want_c, rtol=1e-12, atol=1e-12)


def test_cell_gradients_pass_gradcheck_in_float64(device):
    cell = randomised(nn.LayerNormLSTMCell(3, 4)).to(device)
    x = tr.randn(2, 3, dtype=tr.float64, device=device, requires_grad=True)
    h = tr.randn(2, 4, dtype=tr.float64, device=device, requires_grad=True)
    c = tr.randn(2, 4, dtype=tr.float64, device=device, requires_grad=True)
    params = [getattr(cell, n) for n in NAMES]

    def run(x, h, c, *ps):
        for name, p in zip(NAMES, ps):
            setattr(cell, name, p)
        h_new, c_new = cell(x, (h, c))
        return (h_new * h_new).sum() + (c_new * 0.5).sum()

    assert tr.gradcheck(run, [x, h, c, *params])


def test_layer_gradients_pass_gradcheck_in_float64_through_the_steps():
    layer = randomised(nn.LayerNormLSTM(2, 3))
    x = tr.randn(4, 2, 2, dtype=tr.float64, requires_grad=True)
    assert tr.gradcheck(lambda x: (layer(x)[0] ** 2).sum(), [x])
    assert tr.gradcheck(lambda w: (layer(x)[0] ** 2).sum(), [layer.ln_c_weight_l0])


def test_layer_is_the_cell_applied_step_by_step_and_gives_every_c_t(device):
    layer = randomised(nn.LayerNormLSTM(3, 4, batch_first=True)).to(device)
    x = tr.randn(2, 5, 3, dtype=tr.float64, device=device)
    out, (h_n, c_n), cells = layer(x, return_cell_states=True)
    p = arrays(layer, "_l0")
    h, c = np.zeros((2, 4)), np.zeros((2, 4))
    for t in range(5):
        h, c = reference_step(x.numpy()[:, t], h, c, p)
        np.testing.assert_allclose(out.numpy()[:, t], h, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(cells.numpy()[:, t], c, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_n.numpy()[0], h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_n.numpy()[0], c, rtol=1e-12, atol=1e-12)


def test_normalising_makes_the_output_blind_to_the_scale_of_the_weights():
    # LN(s * a) = LN(a) for s > 0 (up to eps): multiplying W_ih and W_hh changes nothing
    layer = nn.LayerNormLSTM(3, 4).double()
    layer.eps = 1e-12
    x = tr.randn(6, 2, 3, dtype=tr.float64)
    before = layer(x)[0].numpy()
    with tr.no_grad():
        layer.weight_ih_l0.mul_(7.0)
        layer.weight_hh_l0.mul_(0.2)
    np.testing.assert_allclose(layer(x)[0].numpy(), before, rtol=1e-9, atol=1e-10)


def test_stacked_layers_with_lengths_keep_the_state_of_padded_steps():
    layer = randomised(nn.LayerNormLSTM(3, 4, num_layers=2))
    x = tr.randn(5, 2, 3, dtype=tr.float64)
    out, (h_n, c_n), cells = layer(x, lengths=[5, 2], return_cell_states=True)
    short, (h_short, c_short) = layer(x[:2, 1:2])
    np.testing.assert_allclose(out.numpy()[:2, 1], short.numpy()[:, 0], rtol=1e-12)
    assert np.all(out.numpy()[2:, 1] == 0) and np.all(cells.numpy()[2:, 1] == 0)
    np.testing.assert_allclose(h_n.numpy()[:, 1], h_short.numpy()[:, 0], rtol=1e-12)
    np.testing.assert_allclose(c_n.numpy()[:, 1], c_short.numpy()[:, 0], rtol=1e-12)


def test_layer_matches_torch_ops_written_out():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    layer = randomised(nn.LayerNormLSTM(3, 4))
    x_np = np.random.default_rng(1).standard_normal((5, 2, 3))
    h0_np, c0_np = np.random.default_rng(2).standard_normal((2, 1, 2, 4))
    p = {n: torch.tensor(v, requires_grad=True) for n, v in arrays(layer, "_l0").items()}
    h, c = torch.tensor(h0_np[0]), torch.tensor(c0_np[0])
    outs = []
    for t in range(5):
        gates = (F.layer_norm(torch.tensor(x_np[t]) @ p["weight_ih"].T, (16,), p["ln_ih_weight"], p["ln_ih_bias"])
                 + F.layer_norm(h @ p["weight_hh"].T, (16,), p["ln_hh_weight"], p["ln_hh_bias"]) + p["bias"])
        i, f, g, o = gates.chunk(4, 1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * F.layer_norm(c, (4,), p["ln_c_weight"], p["ln_c_bias"]).tanh()
        outs.append(h)
    theirs = torch.stack(outs)
    (theirs ** 2).sum().backward()

    out, (h_n, c_n) = layer(tr.tensor(x_np), (tr.tensor(h0_np), tr.tensor(c0_np)))
    (out ** 2).sum().backward()
    np.testing.assert_allclose(out.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c_n.numpy()[0], c.detach().numpy(), rtol=1e-10, atol=1e-12)
    for name in NAMES:
        np.testing.assert_allclose(getattr(layer, name + "_l0").grad.numpy(), p[name].grad.numpy(),
                                   rtol=1e-9, atol=1e-11, err_msg=name)


def test_per_step_gradient_norms_work_on_its_output():
    layer = nn.LayerNormLSTM(3, 8)
    out, _ = layer(tr.randn(12, 2, 3))
    norms = nn.step_gradient_norms((out[-1] ** 2).sum(), out)
    assert len(norms) == 12 and all(n > 0 for n in norms) and norms[0] < norms[-1]


def test_drawing_has_one_cluster_per_step_and_each_weight_transposed_once():
    layer = nn.LayerNormLSTM(2, 3)
    out, _ = layer(tr.randn(4, 1, 2))
    source = tr.viz.draw_graph(out, params=layer).source
    for t in range(4):
        assert f'label="t={t}"' in source
    assert source.count("<B>W_hh^T</B>") == 1 and source.count("Transpose") == 2   # W_ih^T, W_hh^T once each
    assert source.count("<B>h_{t-1} W_hh^T</B>") == 4 and source.count("<B>LN(c_t)</B>") == 4


@pytest.mark.parametrize("make, call, match", [
    (lambda: nn.LayerNormLSTMCell(3, 4), lambda m: m(tr.randn(2, 5)),
     r"LayerNormLSTMCell: expected input of shape \(batch, 3\) or \(3,\), got \(2, 5\)"),
    (lambda: nn.LayerNormLSTMCell(3, 4), lambda m: m(tr.randn(2, 3), (tr.zeros(2, 4), tr.zeros(3, 4))),
     r"LayerNormLSTMCell: expected c of shape \(2, 4\) \(batch, hidden_size\), got \(3, 4\)"),
    (lambda: nn.LayerNormLSTM(3, 4), lambda m: m(tr.randn(5, 2, 3).double()),
     r"LayerNormLSTM: input dtype float64 does not match the parameters' dtype float32"),
    (lambda: nn.LayerNormLSTM(3, 4, num_layers=2), lambda m: m(tr.randn(5, 2, 3), (tr.zeros(1, 2, 4),) * 2),
     r"LayerNormLSTM: expected h_0 of shape \(2, 2, 4\) \(num_layers, batch, hidden_size\), got \(1, 2, 4\)"),
    (lambda: nn.LayerNormLSTM(3, 4, eps=0), None, r"LayerNormLSTM: eps must be a positive number, got 0"),
])
def test_bad_input_is_named_in_the_error(make, call, match):
    with pytest.raises(tr.OpError, match=match):
        module = make()
        call(module)
