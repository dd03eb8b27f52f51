"""Tutorial 1: tensors and autograd from scratch."""

# %% [markdown]
# # 1. Tensors and autograd from scratch
#
# A `Tensor` holds an array (NumPy on the CPU, CuPy on a GPU). Every operation on
# tensors that need a gradient records one node of a graph; `loss.backward()`
# walks that graph from the loss back to the leaves, applying the chain rule
# node by node. Here we build a small graph, backpropagate, check the result
# against a numerical gradient, draw the graph, and then use the gradients to
# fit a tiny network.
#
# Run: `python tutorials/01_tensors_and_autograd.py [--quick] [--device cuda] [--out DIR]`

# %%
import math

import common

import tinygrad_rnn as tr
from tinygrad_rnn import viz
from tinygrad_rnn.backend import np

# %% [markdown]
# ## A graph, and its backward pass
#
# For one example x (3,), weights W (2, 3), bias b (2,) and target y (2,):
#
#     h = tanh(W x + b)          (2,)
#     L = sum((h - y)^2)         scalar
#
# The chain rule gives, with dh = 2 (h - y) and da = dh * (1 - h^2):
#
#     dL/dW = da x^T,   dL/db = da,   dL/dx = W^T da


# %%
def build(W, b, x, y):
    h = (W @ x + b).tanh()
    return ((h - y) ** 2).sum()


def by_hand(W, b, x, y):
    """The same gradients, written out with NumPy on host arrays."""
    W, b, x, y = (t.numpy() for t in (W, b, x, y))
    h = np.tanh(W @ x + b)
    da = 2 * (h - y) * (1 - h ** 2)
    return {"W": np.outer(da, x), "b": da, "x": W.T @ da}


def numerical(fn, t, eps=1e-6):
    """Central differences: dL/dt_i ~ (L(t + eps e_i) - L(t - eps e_i)) / (2 eps)."""
    grad = np.zeros(t.shape)
    flat = t.numpy().reshape(-1)
    for i in range(flat.size):
        bumped = []
        for sign in (1, -1):
            moved = flat.copy()
            moved[i] += sign * eps
            t.data = tr.tensor(moved.reshape(t.shape), device=t.device).data
            bumped.append(fn().item())
        t.data = tr.tensor(flat.reshape(t.shape), device=t.device).data
        grad.reshape(-1)[i] = (bumped[0] - bumped[1]) / (2 * eps)
    return grad


# %% [markdown]
# ## Using the gradients: fit y = sin(x) with a two-layer network and plain gradient descent


# %%
def fit_sine(steps, device, hidden=16, lr=0.1):
    x = tr.tensor(np.linspace(-3, 3, 64)[:, None], dtype=tr.float32, device=device)
    y = x.numpy()
    target = tr.tensor(np.sin(y), device=device)
    W1 = tr.randn(1, hidden, device=device, requires_grad=True)
    b1 = tr.zeros(hidden, device=device, requires_grad=True)
    W2 = tr.tensor(tr.randn(hidden, 1).numpy() / math.sqrt(hidden), device=device, requires_grad=True)
    b2 = tr.zeros(1, device=device, requires_grad=True)
    losses = []
    for _ in range(steps):
        pred = (x @ W1 + b1).tanh() @ W2 + b2
        loss = ((pred - target) ** 2).mean()
        for p in (W1, b1, W2, b2):
            p.grad = None
        loss.backward()
        for p in (W1, b1, W2, b2):
            p.data = p.data - lr * p.grad.data   # the whole of "gradient descent"
        losses.append(loss.item())
    return losses


# %%
def main(argv=None):
    args = common.parse_args(__doc__, argv, name="01_tensors_and_autograd")
    device = common.check_device(args.device)
    tr.manual_seed(args.seed)

    # float64 so that central differences with eps = 1e-6 are accurate
    W = tr.randn(2, 3, dtype=tr.float64, device=device, requires_grad=True)
    b = tr.randn(2, dtype=tr.float64, device=device, requires_grad=True)
    x = tr.randn(3, dtype=tr.float64, device=device, requires_grad=True)
    y = tr.tensor(np.array([0.5, -0.25]), device=device)
    loss = build(W, b, x, y)
    loss.backward()
    print(f"L = {loss.item():.6f}")

    expected = by_hand(W, b, x, y)
    rows, worst = [], 0.0
    for name, t in (("W", W), ("b", b), ("x", x)):
        numeric = numerical(lambda: build(W, b, x, y), t)
        err_hand = float(np.abs(t.grad.numpy() - expected[name]).max())
        err_num = float(np.abs(t.grad.numpy() - numeric).max())
        worst = max(worst, err_hand, err_num)
        rows.append([name, str(tuple(t.shape)), err_hand, err_num])
    common.print_table(rows, ["leaf", "shape", "max |autograd - by hand|", "max |autograd - numerical|"],
                       "Gradient check")
    # the library's own checker does the same for any function of any inputs
    tr.gradcheck(lambda W, b, x: build(W, b, x, y), [W, b, x])
    print("tr.gradcheck: passed")

    # the graph backward walked: one box per op, leaves named
    loss = build(W, b, x, y)
    graph = viz.draw_graph(loss, params={"W": W, "b": b, "x": x})
    common.save_graph(graph, args.out, "graph")

    steps = 150 if args.quick else 2000
    with common.Timer() as timer:
        losses = fit_sine(steps, device)
    common.print_table([[steps, losses[0], losses[-1], f"{timer.seconds:.1f}s"]],
                       ["steps", "first loss", "last loss", "time"], "Fitting sin(x) by gradient descent")
    plt = common.pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.semilogy(losses)
        ax.set_xlabel("step")
        ax.set_ylabel("mean squared error")
        ax.set_title("Two-layer tanh network fitting sin(x)")
        common.save(fig, args.out, "fit_sine_loss.png")
    return common.finish(args, {"max_grad_error": worst, "first_loss": losses[0], "final_loss": losses[-1]})


# %%
if __name__ == "__main__":
    main()
