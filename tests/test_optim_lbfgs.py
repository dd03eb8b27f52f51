"""LBFGS: float64 trajectories equal to PyTorch's (plain steps and strong Wolfe),
the closure's contract, state_dict resume, errors."""

import numpy as np
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import optim


def start_values():
    rng = np.random.default_rng(3)
    return [rng.standard_normal((3, 4)), rng.standard_normal((3,)), rng.standard_normal((4,))]


def objective(lib, w, b, x):
    """Rosenbrock-like and non-quadratic, so the line search and the history both matter."""
    y = lib.tanh(w @ x + b)
    return (y * y).sum() + ((w[1:] - w[:-1] ** 2) ** 2).sum() * 2 + ((1 - x) ** 2).sum() + (w ** 4).sum() * 0.1


def run(lib, opt_cls, params, steps, **kwargs):
    opt = opt_cls(params, **kwargs)
    losses, trajectory = [], []

    def closure():
        opt.zero_grad()
        loss = objective(lib, *params)
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(float(opt.step(closure).detach()))
        trajectory.append([p.detach().numpy().copy() for p in params])
    return opt, losses, trajectory


SETTINGS = [
    dict(),
    dict(line_search_fn="strong_wolfe"),
    dict(lr=0.5, max_iter=4, history_size=3),
    dict(lr=0.8, max_iter=7, max_eval=9, history_size=2, line_search_fn="strong_wolfe"),
    dict(tolerance_grad=1e-3, tolerance_change=1e-4, max_iter=30),
]


@pytest.mark.parametrize("kwargs", SETTINGS, ids=[str(k) for k in SETTINGS])
def test_trajectory_matches_pytorch_in_float64(kwargs):
    torch = pytest.importorskip("torch")
    ours = [tr.tensor(v, dtype=tr.float64, requires_grad=True) for v in start_values()]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in start_values()]
    # three steps are up to 60 iterations; near the minimum the last bits of the two libraries' dot
    # products grow by about 20x a step (the problem is ill-conditioned there), so stop before 1e-10
    our_opt, our_losses, our_path = run(tr, optim.LBFGS, ours, 3, **kwargs)
    their_opt, their_losses, their_path = run(torch, torch.optim.LBFGS, theirs, 3, **kwargs)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-10, atol=1e-12)
    for step, (a, b) in enumerate(zip(our_path, their_path)):
        for pa, pb in zip(a, b):
            np.testing.assert_allclose(pa, pb, rtol=1e-10, atol=1e-10, err_msg=f"after step {step + 1}")
    our_state = our_opt.state[ours[0]]
    their_state = their_opt.state[theirs[0]]
    assert our_state["func_evals"] == their_state["func_evals"]
    assert our_state["n_iter"] == their_state["n_iter"]
    assert len(our_state["old_dirs"]) == len(their_state["old_dirs"])


def test_the_loss_goes_down_on_a_float32_model():
    tr.manual_seed(0)
    model = tr.nn.Linear(3, 1)
    x = tr.randn(20, 3)
    y = x @ tr.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    opt = optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        return loss

    first = float(opt.step(closure))
    for _ in range(3):
        last = float(opt.step(closure))
    assert last < 1e-6 < first
    assert model.weight.dtype == tr.float32


def test_step_returns_the_first_loss_of_the_step():
    w = tr.tensor([3.0, -2.0], dtype=tr.float64, requires_grad=True)
    opt = optim.LBFGS([w], max_iter=5)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        calls.append(float(loss))
        return loss

    assert float(opt.step(closure)) == calls[0] == 13.0


def test_an_optimal_start_returns_at_once():
    w = tr.zeros(2, dtype=tr.float64, requires_grad=True)
    opt = optim.LBFGS([w])
    calls = []

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        calls.append(1)
        return loss

    opt.step(closure)
    assert len(calls) == 1 and opt.state[w]["n_iter"] == 0


def test_state_dict_resume_continues_the_same_trajectory():
    def fresh():
        return [tr.tensor(v, dtype=tr.float64, requires_grad=True) for v in start_values()]

    straight = fresh()
    _, _, path = run(tr, optim.LBFGS, straight, 4, max_iter=3, history_size=4)

    resumed = fresh()
    opt, _, _ = run(tr, optim.LBFGS, resumed, 2, max_iter=3, history_size=4)
    saved = opt.state_dict()
    assert isinstance(saved["state"][0]["old_dirs"], list)
    values = [p.numpy().copy() for p in resumed]
    again = [tr.tensor(v, dtype=tr.float64, requires_grad=True) for v in values]
    opt2 = optim.LBFGS(again, max_iter=3, history_size=4)
    opt2.load_state_dict(saved)

    def closure():
        opt2.zero_grad()
        loss = objective(tr, *again)
        loss.backward()
        return loss

    for step in (2, 3):
        opt2.step(closure)
        for ours, expected in zip(again, path[step]):
            np.testing.assert_array_equal(ours.numpy(), expected)


def test_state_dict_is_a_snapshot():
    w = tr.tensor([3.0, -2.0], dtype=tr.float64, requires_grad=True)
    opt = optim.LBFGS([w], max_iter=2)

    def closure():
        opt.zero_grad()
        loss = (w ** 4).sum()
        loss.backward()
        return loss

    opt.step(closure)
    saved = opt.state_dict()
    before = [a.copy() for a in saved["state"][0]["old_dirs"]]
    d_before = saved["state"][0]["d"].copy()
    opt.step(closure)
    for a, b in zip(saved["state"][0]["old_dirs"], before):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(saved["state"][0]["d"], d_before)


def test_step_without_a_closure_is_explained():
    opt = optim.LBFGS([tr.ones(2, requires_grad=True)])
    with pytest.raises(tr.OpError, match="LBFGS.step needs a closure"):
        opt.step()


def test_closure_returning_none_is_explained():
    w = tr.ones(2, requires_grad=True)
    opt = optim.LBFGS([w])
    with pytest.raises(tr.OpError, match="LBFGS.step: the closure returned None; it must return the loss"):
        opt.step(lambda: None)


def test_parameter_groups_are_refused_as_pytorch():
    a, b = tr.ones(2, requires_grad=True), tr.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    opt = optim.LBFGS([a])
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        opt.add_param_group({"params": [b]})


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-1.0), r"LBFGS: Invalid learning rate: -1.0"),
    (dict(lr=float("nan")), r"LBFGS: Invalid learning rate: nan"),
    (dict(max_iter=0), r"LBFGS: max_iter must be a positive int, got 0"),
    (dict(max_iter=2.5), r"LBFGS: max_iter must be a positive int, got 2.5"),
    (dict(history_size=0), r"LBFGS: history_size must be a positive int, got 0"),
    (dict(line_search_fn="armijo"), r"LBFGS: line_search_fn must be None or 'strong_wolfe', got 'armijo'"),
    (dict(tolerance_grad="small"), r"LBFGS: tolerance_grad must be a number, got 'small'"),
])
def test_bad_hyperparameters_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.LBFGS([tr.ones(2, requires_grad=True)], **kwargs)


def test_default_max_eval_is_pytorchs():
    assert optim.LBFGS([tr.ones(1, requires_grad=True)], max_iter=10).defaults["max_eval"] == 12


def test_runs_on_the_device(device):
    w = tr.tensor([3.0, -2.0], dtype=tr.float64, device=device, requires_grad=True)
    opt = optim.LBFGS([w], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((w - 1.0) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(w.numpy(), [1.0, 1.0], atol=1e-8)
    assert w.device == tr.device(device) or str(w.device) == device


def test_state_dict_moves_to_torch_and_back_through_files():
    import io

    torch = pytest.importorskip("torch")
    ours = [tr.tensor(v, dtype=tr.float64, requires_grad=True) for v in start_values()]
    opt, _, _ = run(tr, optim.LBFGS, ours, 2, max_iter=3)
    theirs = [torch.tensor(p.numpy(), requires_grad=True) for p in ours]
    their_opt = torch.optim.LBFGS(theirs, max_iter=3)
    buffer = io.BytesIO()
    tr.save(opt.state_dict(), buffer, format="torch")
    buffer.seek(0)
    their_opt.load_state_dict(torch.load(buffer))

    def our_closure():
        opt.zero_grad()
        loss = objective(tr, *ours)
        loss.backward()
        return loss

    def their_closure():
        their_opt.zero_grad()
        loss = objective(torch, *theirs)
        loss.backward()
        return loss

    for _ in range(2):  # one step from our state in torch, then torch's state back here
        opt.step(our_closure)
        their_opt.step(their_closure)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-13)
        buffer = io.BytesIO()
        torch.save(their_opt.state_dict(), buffer)
        buffer.seek(0)
        opt.load_state_dict(tr.load(buffer))
