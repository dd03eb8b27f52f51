"""Tutorial 8: extending the engine with a new op, gradcheck, a custom cell, and CPU vs GPU speed."""

# %% [markdown]
# # 8. Extending the engine: a new op, checked, in a recurrent cell; then the GPU
#
# Every differentiable op is a `Function` with a `forward` and a `backward` on
# raw arrays (NumPy or CuPy: `xp` is whichever the input belongs to). We add
# softsign,
#
#     y = x / (1 + |x|)            dy/dx = 1 / (1 + |x|)^2
#
# a tanh look-alike whose tails approach +-1 polynomially, not exponentially,
# so its gradient vanishes more slowly. We check the backward with
# `tr.gradcheck` (and watch it catch a wrong one), build an RNN cell with it,
# train that cell beside a tanh cell, and finally time a training step on the
# CPU and, when CUDA and CuPy are there, on the GPU.
#
# Run: `python tutorials/08_extending_the_engine.py [--quick] [--device cuda] [--out DIR]`.
# In a notebook, `%env TUTORIAL_QUICK=1` in a first cell gives the quick run.

# %%
import time

import common
import exercise_checks

import tinygrad_rnn as tr
from tinygrad_rnn import backend, data, nn, optim, viz
from tinygrad_rnn.autograd import Function
from tinygrad_rnn.backend import np

# %%
args = common.parse_args(__doc__, name="08_extending_the_engine")
device = common.check_device(args.device)
tr.manual_seed(args.seed)
print(f"device {device}; {'quick' if args.quick else 'full'} run")


# %% [markdown]
# ## A new op
#
# `forward` gets the input arrays and returns the output array; whatever
# `backward` needs it keeps with `self.save(...)`. `backward` gets the gradient
# of the loss with respect to the output (same shape) and returns one gradient
# per input. `Softsign.apply(tensor)` runs it and records the node.


# %%
class Softsign(Function):
    """y = x / (1 + |x|),  dy/dx = 1 / (1 + |x|)^2; any shape."""

    def forward(self, x):
        xp = backend.xp_of(x)
        denominator = 1 + xp.abs(x)
        self.save(denominator)          # all backward needs; freed after backward
        return x / denominator

    def backward(self, g):
        (denominator,) = self.saved
        return g / (denominator * denominator)


def softsign(x):
    return Softsign.apply(x)


class WrongSoftsign(Softsign):
    """The same forward with a plausible-looking but wrong derivative, 1 / (1 + |x|)."""

    def backward(self, g):
        (denominator,) = self.saved
        return g / denominator


x = tr.tensor([-2.0, 0.0, 0.5], requires_grad=True)
y = softsign(x)
y.sum().backward()
print("softsign:", y.numpy(), " grad:", x.grad.numpy(), " 1/(1+|x|)^2:", 1 / (1 + np.abs(x.numpy())) ** 2)

# %% [markdown]
# ## gradcheck, in float64 against central differences
#
# `tr.gradcheck(fn, inputs)` compares the backward's gradient with
# (f(x + eps) - f(x - eps)) / 2 eps for every input element, and raises
# `tr.GradcheckError` naming the worst element when they differ.

# %%
x = tr.tensor(np.linspace(-3, 3, 13), dtype=tr.float64, device=device, requires_grad=True)
tr.gradcheck(softsign, [x])
print("gradcheck(Softsign): passed")
caught = ""
try:
    tr.gradcheck(WrongSoftsign.apply, [x])
except tr.GradcheckError as exc:
    caught = str(exc).splitlines()[0]
print(f"gradcheck(WrongSoftsign): {caught or 'NOT caught'}")
results = {"wrong_backward_caught": bool(caught)}

# %% [markdown]
# ## Coming from `torch.autograd.Function`
#
# The same idea, written differently:
#
# | PyTorch | here |
# | --- | --- |
# | `@staticmethod def forward(ctx, x)` | `def forward(self, x)`: a Function is an object per node, `self` its ctx |
# | `forward` and `backward` get Tensors | they get and return raw arrays (NumPy or CuPy: `backend.xp_of(x)`) |
# | `ctx.save_for_backward(x)`, `ctx.saved_tensors` | `self.save(x)`, `self.saved` (arrays, freed after backward) |
# | `ctx.needs_input_grad[i]` | `self.needs_grad[i]` (already known in forward) |
# | `ctx.k = k` for a non-tensor argument | `Op.apply(x, k=3)`: keyword arguments go to `Op.__init__(self, k)` |
# | `MyFn.apply(x)` | `MyFn.apply(x)` |
#
# The same: `backward` returns one gradient per input, None where none is
# needed; a gradient of the output's broadcast shape is summed back to the
# input's shape for you; an input or output saved for backward and then changed
# in place makes backward raise (the version counter, below). What differs
# beyond the spelling: every backward here runs on arrays outside the graph, so
# there are no gradients of gradients (`create_graph=True` is refused), and
# there is no `mark_dirty` or `mark_non_differentiable`. The engine checks what
# a backward returns: a Tensor instead of an array, the wrong number of
# gradients or a shape that cannot be summed back each raise an error naming
# the op and the input. A class written the PyTorch way is refused at once:

# %%
try:
    class TorchStyleSoftsign(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x / (1 + x.abs())
except TypeError as exc:
    print(exc)

# %% [markdown]
# ## Pitfall: changing a saved value in place
#
# Many ops save their input or output for backward (`exp` saves its output,
# `y = e^x`, since dy/dx = y). Change that tensor in place after the forward and
# its gradient would be silently wrong, so every storage carries a version
# counter and backward raises when a saved value's version moved. The fix:
# compute out of place (`y = y * 2`), or change a `.clone()`. A Function of
# your own gets the same protection for what it saves with `self.save` that is
# one of its inputs or outputs.

# %%
a = tr.tensor([0.5, 1.0], requires_grad=True)
y = a.exp()
y.mul_(2)                              # wrong: exp saved y for backward
try:
    y.sum().backward()
except tr.GraphError as exc:
    results["inplace_error"] = str(exc)
    print("in place:", str(exc).split(", so")[0])
y = a.exp()
y = y * 2                              # right: a new tensor; exp's saved output is untouched
y.sum().backward()
print("out of place: grad", a.grad.numpy(), "== 2 e^a", 2 * np.exp(a.numpy()))


# %% [markdown]
# ## A recurrent cell with the new op
#
#     h_t = softsign(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
# It has the same parameters as `nn.RNNCell`, so we inherit them and change only forward.


# %%
class SoftsignRNNCell(nn.RNNCell):
    def forward(self, x, h=None):
        if h is None:
            h = tr.zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
        return softsign(x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)


cell = SoftsignRNNCell(3, 4).to(device)
for p in cell.parameters():
    p.data = p.data.astype(np.float64)
xs = tr.randn(2, 3, dtype=tr.float64, device=device, requires_grad=True)
hs = tr.randn(2, 4, dtype=tr.float64, device=device, requires_grad=True)
tr.gradcheck(lambda x, h: cell(x, h), [xs, hs])
print("gradcheck(SoftsignRNNCell): passed")

# %% [markdown]
# Unrolled over three steps with `nn.unroll`, the new op is a node in every
# step's cluster, and the same weights enter each step:

# %%
hidden, _ = nn.unroll(cell, tr.randn(3, 2, 3, dtype=tr.float64, device=device))
graph = viz.draw_graph(tr.stack(hidden).sum(), params=cell)
common.save_graph(graph, args.out, "softsign_unrolled")
print(f"{len(tr.autograd.topological_order(hidden[-1].grad_fn))} ops below the last step's h_t")


# %% [markdown]
# ## Training it beside tanh, on a noisy sine wave


# %%
class Predictor(nn.Module):
    """x (T, B, 1) -> cell unrolled -> a next-value prediction per step (T, B)."""

    def __init__(self, cell):
        super().__init__()
        self.cell = cell
        self.head = nn.Linear(cell.hidden_size, 1)

    def forward(self, x):
        hidden, _ = nn.unroll(self.cell, x)
        return self.head(tr.stack(hidden, axis=0)).squeeze(-1)


def train_on_sine(cell, steps, seq_len=40, batch=32):
    series = data.sine_wave(3000, period=20.0, noise=0.1)
    model = Predictor(cell).to(device)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    rng = backend.rng()
    for _ in range(steps):
        starts = rng.integers(0, len(series) - seq_len - 1, size=batch)
        w = series[starts[None, :] + np.arange(seq_len + 1)[:, None]].astype(np.float32)
        x, y = tr.tensor(w[:-1, :, None], device=device), tr.tensor(w[1:], device=device)
        loss = nn.functional.mse_loss(model(x)[5:], y[5:])
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return loss.item()


steps = 150 if args.quick else 1500
rows = []
cells = {"tanh RNNCell": lambda: nn.RNNCell(1, 16), "softsign RNNCell": lambda: SoftsignRNNCell(1, 16)}
for name, make in cells.items():
    tr.manual_seed(args.seed)
    with common.Timer() as timer:
        results[name] = train_on_sine(make(), steps)
    rows.append([name, results[name], f"{timer.seconds:.1f}s"])
rows.append(["noise floor", 0.01, "-"])
common.print_table(rows, ["cell", "final training MSE", "time"], f"Noisy sine, next value, {steps} steps")
results["tanh_over_softsign"] = results["tanh RNNCell"] / results["softsign RNNCell"]

# %% [markdown]
# ## CPU against GPU
#
# The same code runs on CuPy arrays when the tensors are on "cuda". A GPU pays
# a fixed cost per op (a kernel launch), so it wins once each op does enough
# work: larger batches and hidden sizes.


# %%
class CharLSTM(nn.Module):
    def __init__(self, vocab, hidden):
        super().__init__()
        self.embed = nn.Embedding(vocab, 32)
        self.lstm = nn.LSTM(32, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):
        out, _ = self.lstm(self.embed(ids))
        return self.head(out)


def time_lstm_step(device, batch, hidden, seq_len=64, vocab=96, repeats=3):
    """Seconds per training step of Embedding -> LSTM -> Linear on random characters."""
    model = CharLSTM(vocab, hidden).to(device)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    ids = tr.tensor(backend.rng().integers(0, vocab, size=(batch, seq_len + 1)), device=device)

    def step():
        loss = nn.functional.cross_entropy(model(ids[:, :-1]).reshape(-1, vocab), ids[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()      # .item() waits for the GPU, so the timing is honest

    step()                      # warm-up: CuPy compiles its kernels on first use
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats


sizes = [(32, 128)] if args.quick else [(32, 128), (64, 256), (256, 512)]
speed_rows = []
gpu = tr.cuda_available()
for batch, hidden_size in sizes:
    cpu_s = time_lstm_step("cpu", batch, hidden_size)
    if gpu:
        gpu_s = time_lstm_step("cuda", batch, hidden_size)
        speed_rows.append([batch, hidden_size, f"{cpu_s * 1000:.0f}", f"{gpu_s * 1000:.0f}", f"{cpu_s / gpu_s:.1f}x"])
    else:
        speed_rows.append([batch, hidden_size, f"{cpu_s * 1000:.0f}", "-", "-"])
common.print_table(speed_rows, ["batch", "hidden", "CPU ms/step", "GPU ms/step", "GPU speed-up"],
                   "LSTM language-model training step, 64 characters")
if not gpu:
    print(f"GPU comparison skipped: {backend.cuda_unavailable_reason()}")
results["speed"] = speed_rows

# %% [markdown]
# ## Exercises
#
# Fill in each `exercise_...` function, then run the last cell: it checks
# every exercise and prints "passed", "unfinished" or "wrong: " and why.
# Worked solutions: `tutorials/solutions/08_extending_the_engine.py`.
#
# **1. Swish's backward.** Swish (SiLU) is `y = x * sigmoid(x)`. Return the
# gradient with respect to x, given x and the output's gradient g (arrays of
# one shape). The check puts it into a Function and runs `tr.gradcheck`.


# %%
def exercise_swish_backward(x, g):
    raise NotImplementedError("exercise")


def check_swish_backward(fn):
    class Swish(Function):
        def forward(self, x):
            self.save(x)
            return x / (1 + backend.xp_of(x).exp(-x))

        def backward(self, g):
            (x,) = self.saved
            return fn(x, g)

    fn(np.zeros(2), np.ones(2))
    x = tr.tensor(np.linspace(-4, 4, 17), dtype=tr.float64, requires_grad=True)
    try:
        tr.gradcheck(Swish.apply, [x])
    except tr.GradcheckError as exc:
        raise AssertionError(f"swish backward differs from the numerical gradient: {exc}") from None


# %% [markdown]
# **2. The GRU cell's backward, by hand.** In PyTorch's gate order (r, z, n
# stacked in the rows of the weights), for x (B, I) and h (B, H):
#
#     r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)
#     z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
#     n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
#     h' = (1 - z) * n + z * h
#
# Given the arrays x, h, weight_ih (3H, I), weight_hh (3H, H), bias_ih (3H,),
# bias_hh (3H,) and the gradient `g` of the loss with respect to h' (B, H),
# return the gradients `(dx, dh, d_weight_ih, d_weight_hh, d_bias_ih,
# d_bias_hh)`. Recompute the forward first; then go backwards through the
# four lines. The check compares with autograd through `nn.GRUCell`.


# %%
def exercise_gru_cell_backward(x, h, weight_ih, weight_hh, bias_ih, bias_hh, g):
    raise NotImplementedError("exercise")


def check_gru_cell_backward(fn):
    tr.manual_seed(9)
    cell = nn.GRUCell(3, 4)
    for p in cell.parameters():
        p.data = p.data.astype(np.float64)
    x = tr.randn(5, 3, dtype=tr.float64, requires_grad=True)
    h = tr.randn(5, 4, dtype=tr.float64, requires_grad=True)
    g = np.random.default_rng(9).standard_normal((5, 4))
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    params = [getattr(cell, n) for n in names]
    got = fn(x.numpy(), h.numpy(), *[p.numpy() for p in params], g)
    (cell(x, h) * tr.tensor(g)).sum().backward()
    assert len(got) == 6, f"return six gradients (dx, dh and the four parameters'), got {len(got)}"
    for name, mine, want in zip(["dx", "dh"] + [f"d_{n}" for n in names], got, [x, h] + params):
        mine = np.asarray(mine)
        assert mine.shape == want.shape, f"{name}: expected shape {tuple(want.shape)}, got {mine.shape}"
        assert np.allclose(mine, want.grad.numpy(), atol=1e-8), \
            f"{name} differs from autograd's by up to {np.abs(mine - want.grad.numpy()).max():.3g}"


# %%
results["exercises"] = exercise_checks.run(globals())

# %%
common.finish(args, results)
