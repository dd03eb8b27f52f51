"""Sequence-to-one readouts: each sequence's last valid step, or its mean over valid steps."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn


def test_last_step_takes_each_sequence_at_its_own_length(device):
    output = tr.randn(5, 3, 2, dtype=tr.float64, device=device)
    got = nn.last_step(output, lengths=[2, 5, 1])
    want = output.numpy()[[1, 4, 0], [0, 1, 2]]
    np.testing.assert_array_equal(got.numpy(), want)


def test_last_step_without_lengths_is_the_final_step():
    output = tr.randn(5, 3, 2, dtype=tr.float64)
    np.testing.assert_array_equal(nn.last_step(output).numpy(), output.numpy()[-1])


def test_last_step_batch_first():
    output = tr.randn(3, 5, 2, dtype=tr.float64)
    got = nn.last_step(output, lengths=np.array([3, 1, 5]), batch_first=True)
    np.testing.assert_array_equal(got.numpy(), output.numpy()[[0, 1, 2], [2, 0, 4]])


def test_mean_over_steps_averages_only_valid_steps(device):
    output = tr.randn(4, 2, 3, dtype=tr.float64, device=device)
    got = nn.mean_over_steps(output, lengths=[3, 1])
    want = np.stack([output.numpy()[:3, 0].mean(axis=0), output.numpy()[0, 1]])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


def test_mean_over_steps_without_lengths_is_the_plain_mean():
    output = tr.randn(4, 2, 3, dtype=tr.float64)
    np.testing.assert_allclose(nn.mean_over_steps(output).numpy(), output.numpy().mean(axis=0), rtol=1e-12)


def test_last_step_gradient_reaches_only_the_last_valid_step():
    output = tr.randn(4, 2, 3, dtype=tr.float64, requires_grad=True)
    nn.last_step(output, lengths=[2, 4]).sum().backward()
    want = np.zeros((4, 2, 3))
    want[1, 0] = want[3, 1] = 1
    np.testing.assert_array_equal(output.grad.numpy(), want)


def test_mean_over_steps_gradient_is_one_over_length_on_valid_steps():
    output = tr.randn(4, 2, 3, dtype=tr.float64, requires_grad=True)
    nn.mean_over_steps(output, lengths=[2, 4]).sum().backward()
    want = np.zeros((4, 2, 3))
    want[:2, 0], want[:, 1] = 1 / 2, 1 / 4
    np.testing.assert_allclose(output.grad.numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("mode", ["last", "mean"])
def test_readout_gradcheck_float64(mode):
    output = tr.randn(4, 3, 2, dtype=tr.float64, requires_grad=True)
    readout = nn.SequenceReadout(mode)
    assert tr.gradcheck(lambda o: readout(o, lengths=[4, 1, 3]), [output])


def test_readout_of_a_recurrent_layer_trains_on_padded_batches():
    # Padding must not matter: the readout of a padded batch equals that of each sequence alone.
    net = nn.JordanRNN(2, 4, 3).double()
    x = tr.randn(5, 2, 2, dtype=tr.float64)
    output, _ = net(x, lengths=[5, 3])
    for mode in ("last", "mean"):
        got = nn.SequenceReadout(mode)(output, lengths=[5, 3])
        alone = nn.SequenceReadout(mode)(net(x[:3, 1:])[0])
        np.testing.assert_allclose(got.numpy()[1], alone.numpy()[0], rtol=1e-12)


def test_unknown_mode_is_named():
    with pytest.raises(tr.OpError, match=r"SequenceReadout: mode must be one of \['last', 'mean'\], got 'max'"):
        nn.SequenceReadout("max")


def test_lengths_of_the_wrong_batch_are_named():
    with pytest.raises(tr.OpError, match=r"last_step: lengths must hold one int per batch item \(3\), "
                                         r"got shape \(2,\)"):
        nn.last_step(tr.randn(4, 3, 2), lengths=[1, 2])


def test_fractional_lengths_are_refused():
    with pytest.raises(tr.OpError, match=r"mean_over_steps: lengths must be integers, got dtype float64"):
        nn.mean_over_steps(tr.randn(4, 3, 2), lengths=[1.0, 2.5, 3.0])


def test_output_must_be_three_dimensional():
    with pytest.raises(tr.OpError, match=r"last_step: expected output of shape \(T, batch, H\).*got \(4, 3\)"):
        nn.last_step(tr.randn(4, 3))
