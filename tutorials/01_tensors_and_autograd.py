"""Tutorial 1: tensors and autograd from scratch."""

# %% [markdown]
# # 1. Tensors and autograd from scratch
#
# A `Tensor` holds an array (NumPy on the CPU, CuPy on a GPU). Every operation on
# tensors that need a gradient records one node of a graph; `loss.backward()`
# walks that graph from the loss back to the leaves, applying the chain rule
# node by node. Here we build a small graph, backpropagate, check the result
# against a numerical gradient, draw the graph, meet the five mistakes everyone
# makes with autograd once, and then use the gradients to fit a tiny network.
# Each cell runs on its own, in order; the exercises are at the end.
#
# Run: `python tutorials/01_tensors_and_autograd.py [--quick] [--device cuda] [--out DIR]`

# %%
import math

import common
import exercise_checks

import tinygrad_rnn as tr
from tinygrad_rnn import autograd, viz
from tinygrad_rnn.backend import np

# %%
args = common.parse_args(__doc__, name="01_tensors_and_autograd")
device = common.check_device(args.device)
tr.manual_seed(args.seed)
results = {}
print(f"device {device}, quick {args.quick}, figures and results.json in {args.out}")

# %% [markdown]
# ## A graph, and its backward pass
#
# For one example x (3,), weights W (2, 3), bias b (2,) and target y (2,):
#
#     h = tanh(W x + b)          (2,)
#     L = sum((h - y)^2)         scalar
#
# float64 throughout, so that the numerical check below is accurate.

# %%
W = tr.randn(2, 3, dtype=tr.float64, device=device, requires_grad=True)
b = tr.randn(2, dtype=tr.float64, device=device, requires_grad=True)
x = tr.randn(3, dtype=tr.float64, device=device, requires_grad=True)
y = tr.tensor(np.array([0.5, -0.25]), device=device)


def build(W, b, x, y):
    h = (W @ x + b).tanh()
    return ((h - y) ** 2).sum()


loss = build(W, b, x, y)
print(f"L = {loss.item():.6f}, made by {loss.grad_fn}; W.grad before backward: {W.grad}")
loss.backward()
print("dL/dW =\n", W.grad.numpy())

# %% [markdown]
# ## The same gradients by hand
#
# The chain rule gives, with dh = 2 (h - y) and da = dh * (1 - h^2) (tanh' = 1 - tanh^2):
#
#     dL/dW = da x^T,   dL/db = da,   dL/dx = W^T da

# %%
Wn, bn, xn, yn = (t.numpy() for t in (W, b, x, y))
h = np.tanh(Wn @ xn + bn)
da = 2 * (h - yn) * (1 - h ** 2)
by_hand = {"W": np.outer(da, xn), "b": da, "x": Wn.T @ da}
for name, t in (("W", W), ("b", b), ("x", x)):
    print(f"{name}: max |autograd - by hand| = {np.abs(t.grad.numpy() - by_hand[name]).max():.2e}")

# %% [markdown]
# ## A numerical check
#
# Central differences: dL/dt_i ~ (L(t + eps e_i) - L(t - eps e_i)) / (2 eps), with an
# error of order eps^2. This is how every gradient in the library is tested.

# %%
def numerical(fn, t, eps=1e-6):
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


rows, worst = [], 0.0
for name, t in (("W", W), ("b", b), ("x", x)):
    numeric = numerical(lambda: build(W, b, x, y), t)
    err_hand = float(np.abs(t.grad.numpy() - by_hand[name]).max())
    err_num = float(np.abs(t.grad.numpy() - numeric).max())
    worst = max(worst, err_hand, err_num)
    rows.append([name, str(tuple(t.shape)), err_hand, err_num])
common.print_table(rows, ["leaf", "shape", "max |autograd - by hand|", "max |autograd - numerical|"],
                   "Gradient check")
results["max_grad_error"] = worst

# %%
# the library's own checker does the same for any function of any inputs
tr.gradcheck(lambda W, b, x: build(W, b, x, y), [W, b, x])
print("tr.gradcheck: passed")

# %% [markdown]
# ## The graph that backward walked
#
# One box per op, the leaves named. (`graph.svg` needs Graphviz's `dot`; the `.dot` file is always written.)

# %%
graph = viz.draw_graph(build(W, b, x, y), params={"W": W, "b": b, "x": x})
common.save_graph(graph, args.out, "graph")

# %% [markdown]
# ## Pitfall 1: a broadcast input's gradient is summed back
#
# `z = X + b` with X: (4, 2) and b: (2,) uses each b_j four times, once per row, so
# dL/db_j adds the four rows of dL/dz: dL/db = sum over rows of dL/dz, shape (2,), the shape
# of b. Taking dL/dz itself as "the gradient of b" is the mistake: it has the wrong shape, and
# even its first row is only a quarter of the story.

# %%
X = tr.randn(4, 2, dtype=tr.float64, device=device)
bias = tr.zeros(2, dtype=tr.float64, device=device, requires_grad=True)
z = X + bias
weights = tr.tensor(np.arange(8.0).reshape(4, 2), device=device)   # L = sum(weights * z): dL/dz = weights
(weights * z).sum().backward()
print("dL/dz (4, 2), one row per use of b:\n", weights.numpy())
print("wrong: dL/dz[0] as dL/db:", weights.numpy()[0])
print("right: dL/dz summed over the rows:", weights.numpy().sum(axis=0), "== bias.grad", bias.grad.numpy())
results["broadcast_grad_shape"] = list(bias.grad.shape)

# %% [markdown]
# ## Pitfall 2: gradients accumulate across backward calls
#
# `backward()` *adds* into `.grad` (so that a tensor used in two places gets both
# contributions). Two backward passes without clearing give twice the gradient: clear it
# before each step with `p.grad = None` (or `optimizer.zero_grad()` / `model.zero_grad()`).

# %%
grads = {}
for label, clear in (("wrong, not cleared", False), ("right, cleared before each backward", True)):
    w = tr.tensor([3.0], dtype=tr.float64, device=device, requires_grad=True)
    for _ in range(2):
        if clear:
            w.grad = None
        (w * w).sum().backward()           # d(w^2)/dw = 2w = 6
    grads[label] = w.grad.item()
    print(f"{label}: after two backward calls w.grad = {grads[label]}")
results["accumulated_grad"], results["cleared_grad"] = grads.values()

# %% [markdown]
# ## Pitfall 3: a second backward through a freed graph
#
# To save memory, backward frees the arrays each node saved for it (here tanh's output).
# Walking the same graph again is an error that says so. If you really need two passes,
# ask for it the first time with `retain_graph=True`; usually the fix is to run the
# forward again, which builds a fresh graph.

# %%
loss = build(W, b, x, y)
loss.backward()
try:
    loss.backward()
except tr.GraphError as e:
    freed_message = str(e)
    print("wrong:", type(e).__name__, "-", e)
loss = build(W, b, x, y)
loss.backward(retain_graph=True)
loss.backward()                            # allowed: the first pass kept the arrays
print("right: backward(retain_graph=True) the first time, or a fresh forward")
results["freed_graph_error"] = freed_message

# %% [markdown]
# ## Pitfall 4: holding losses instead of numbers
#
# `total = total + loss` makes `total` a Tensor whose graph reaches every loss added to it:
# every step's graph stays alive as long as `total` does, and it grows step after step.
# `loss.item()` is a Python float with no graph: log that.

# %%
total = 0.0
for _ in range(20):
    total = total + build(W, b, x, y)       # wrong: keeps 20 graphs alive
held_nodes = len(autograd.topological_order(total.grad_fn))
print(f"wrong: total is a {type(total).__name__} holding a graph of {held_nodes} nodes")
total = 0.0
for _ in range(20):
    total += build(W, b, x, y).item()       # right: a float, each graph freed at once
print(f"right: total is a {type(total).__name__}: {total:.4f}")
results["held_graph_nodes"] = held_nodes

# %% [markdown]
# ## Pitfall 5: an in-place edit of a value backward needs
#
# `e = a.exp()` saves its output e for backward (d e^a / da = e^a). Changing e in place
# afterwards would make that gradient silently wrong; every storage has a version counter,
# and backward refuses a saved value whose version moved. Write `e * 2` (a new tensor),
# or edit a `.clone()`.

# %%
a = tr.randn(3, dtype=tr.float64, device=device, requires_grad=True)
e = a.exp()
s = e.sum()
e.mul_(2)                                  # wrong: changes what Exp saved
try:
    s.backward()
except tr.GraphError as err:
    inplace_message = str(err)
    print("wrong:", type(err).__name__, "-", err)
e = a.exp()
s = (e * 2).sum()                          # right: out of place
s.backward()
print("right: a.grad == 2 exp(a):", np.allclose(a.grad.numpy(), 2 * np.exp(a.numpy())))
results["inplace_error"] = inplace_message

# %% [markdown]
# ## Using the gradients: fit y = sin(x) with a two-layer network and plain gradient descent
#
#     pred = tanh(x W1 + b1) W2 + b2,   x: (64, 1), W1: (1, 16), W2: (16, 1)
#     loss = mean((pred - sin x)^2);   p <- p - lr dloss/dp for every p

# %%
steps = 150 if args.quick else 2000
hidden, lr = 16, 0.1
xs = tr.tensor(np.linspace(-3, 3, 64)[:, None], dtype=tr.float32, device=device)
target = tr.tensor(np.sin(xs.numpy()), device=device)
W1 = tr.randn(1, hidden, device=device, requires_grad=True)
b1 = tr.zeros(hidden, device=device, requires_grad=True)
W2 = tr.tensor(tr.randn(hidden, 1).numpy() / math.sqrt(hidden), device=device, requires_grad=True)
b2 = tr.zeros(1, device=device, requires_grad=True)
losses = []
with common.Timer() as timer:
    for _ in range(steps):
        pred = (xs @ W1 + b1).tanh() @ W2 + b2
        loss = ((pred - target) ** 2).mean()
        for p in (W1, b1, W2, b2):
            p.grad = None                    # pitfall 2
        loss.backward()
        with tr.no_grad():                   # the update is not part of any graph
            for p in (W1, b1, W2, b2):
                p -= lr * p.grad             # the whole of "gradient descent"
        losses.append(loss.item())           # pitfall 4
common.print_table([[steps, losses[0], losses[-1], f"{timer.seconds:.1f}s"]],
                   ["steps", "first loss", "last loss", "time"], "Fitting sin(x) by gradient descent")
results["first_loss"], results["final_loss"] = losses[0], losses[-1]

# %%
plt = common.pyplot()
if plt is not None:
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.semilogy(losses)
    ax.set_xlabel("step")
    ax.set_ylabel("mean squared error")
    ax.set_title("Two-layer tanh network fitting sin(x)")
    common.save(fig, args.out, "fit_sine_loss.png")

# %% [markdown]
# ## Exercises
#
# Fill in each `exercise_...` function, then run the cell at the end: it calls each
# `check_...` on your function and says "passed", "unfinished" or what was wrong.
# Worked solutions: `tutorials/solutions/01_tensors_and_autograd.py`.
#
# **1. Undo broadcasting.** Write `exercise_sum_to_shape(grad, shape)`: given the gradient
# of a broadcast result (a NumPy array) and the shape of the input that was broadcast,
# return that input's gradient (pitfall 1, for any shapes: leading axes added by
# broadcasting, and axes of size 1 that were stretched).

# %%
def exercise_sum_to_shape(grad, shape):
    raise NotImplementedError("exercise")


def check_sum_to_shape(fn):
    rng = np.random.default_rng(1)
    for big, small in [((4, 3), (3,)), ((4, 3), (1, 3)), ((2, 4, 3), (4, 1)), ((5,), (5,)), ((2, 3), ())]:
        a = tr.tensor(rng.standard_normal(big), requires_grad=True)
        c = tr.tensor(rng.standard_normal(small), requires_grad=True)
        upstream = rng.standard_normal(big)
        ((a + c) * tr.tensor(upstream)).sum().backward()
        got = np.asarray(fn(upstream, small))
        assert got.shape == small, f"sum_to_shape(grad {big}, {small}): shape {got.shape}, expected {small}"
        assert np.allclose(got, c.grad.numpy()), f"sum_to_shape(grad {big}, {small}): values differ from autograd"


# %% [markdown]
# **2. A backward by hand.** `s = sigmoid(x)` elementwise. Write
# `exercise_sigmoid_backward(x, grad_out)` returning dL/dx from x and dL/ds (NumPy arrays);
# express sigmoid' through sigmoid itself.

# %%
def exercise_sigmoid_backward(x, grad_out):
    raise NotImplementedError("exercise")


def check_sigmoid_backward(fn):
    rng = np.random.default_rng(2)
    x, grad_out = rng.standard_normal((3, 4)) * 3, rng.standard_normal((3, 4))
    t = tr.tensor(x, requires_grad=True)
    (t.sigmoid() * tr.tensor(grad_out)).sum().backward()
    got = np.asarray(fn(x, grad_out))
    assert got.shape == x.shape, f"sigmoid_backward: shape {got.shape}, expected {x.shape}"
    assert np.allclose(got, t.grad.numpy()), "sigmoid_backward: values differ from autograd's"


# %% [markdown]
# **3. A numerical gradient.** Write `exercise_numerical_gradient(f, x, eps)`: f maps a
# float64 NumPy array to a float; return the central-difference estimate of df/dx, an array
# shaped like x. Do not change x.

# %%
def exercise_numerical_gradient(f, x, eps=1e-6):
    raise NotImplementedError("exercise")


def check_numerical_gradient(fn):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3))
    kept = x.copy()
    got = np.asarray(fn(lambda v: float(np.sum(np.sin(v) * v)), x, 1e-6))
    assert np.array_equal(x, kept), "numerical_gradient: x was changed"
    assert got.shape == x.shape, f"numerical_gradient: shape {got.shape}, expected {x.shape}"
    assert np.allclose(got, np.cos(x) * x + np.sin(x), atol=1e-7), "numerical_gradient: far from d(x sin x)/dx"


# %%
results["exercises"] = exercise_checks.run(globals())

# %%
common.finish(args, results)
