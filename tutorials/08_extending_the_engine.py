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
# Run: `python tutorials/08_extending_the_engine.py [--quick] [--device cuda] [--out DIR]`

# %%
import time

import common

import tinygrad_rnn as tr
from tinygrad_rnn import backend, data, nn, optim
from tinygrad_rnn.autograd import Function
from tinygrad_rnn.backend import np


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


class Predictor(nn.Module):
    """x (T, B, 1) -> cell unrolled -> a next-value prediction per step (T, B)."""

    def __init__(self, cell):
        super().__init__()
        self.cell = cell
        self.head = nn.Linear(cell.hidden_size, 1)

    def forward(self, x):
        hidden, _ = nn.unroll(self.cell, x)
        return self.head(tr.stack(hidden, axis=0)).squeeze(-1)


def train_on_sine(cell, steps, device, seq_len=40, batch=32):
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


# %%
def main(argv=None):
    args = common.parse_args(__doc__, argv, name="08_extending_the_engine")
    device = common.check_device(args.device)
    tr.manual_seed(args.seed)

    # 1. gradcheck in float64 against central differences
    x = tr.tensor(np.linspace(-3, 3, 13), dtype=tr.float64, device=device, requires_grad=True)
    tr.gradcheck(softsign, [x])
    caught = ""
    try:
        tr.gradcheck(WrongSoftsign.apply, [x])
    except tr.GradcheckError as exc:
        caught = str(exc).splitlines()[0]
    print("gradcheck(Softsign): passed")
    print(f"gradcheck(WrongSoftsign): {caught or 'NOT caught'}")

    # 2. the op inside a cell: gradcheck the whole cell, then train it beside tanh
    cell = SoftsignRNNCell(3, 4).to(device)
    for p in cell.parameters():
        p.data = p.data.astype(np.float64)
    xs = tr.randn(2, 3, dtype=tr.float64, device=device, requires_grad=True)
    hs = tr.randn(2, 4, dtype=tr.float64, device=device, requires_grad=True)
    tr.gradcheck(lambda x, h: cell(x, h), [xs, hs])
    print("gradcheck(SoftsignRNNCell): passed")

    steps = 150 if args.quick else 1500
    rows = []
    results = {"wrong_backward_caught": bool(caught)}
    cells = {"tanh RNNCell": lambda: nn.RNNCell(1, 16), "softsign RNNCell": lambda: SoftsignRNNCell(1, 16)}
    for name, make in cells.items():
        tr.manual_seed(args.seed)
        with common.Timer() as timer:
            final = train_on_sine(make(), steps, device)
        results[name] = final
        rows.append([name, final, f"{timer.seconds:.1f}s"])
    rows.append(["noise floor", 0.01, "-"])
    common.print_table(rows, ["cell", "final training MSE", "time"], f"Noisy sine, next value, {steps} steps")

    # 3. the speed of one training step, CPU against GPU
    sizes = [(32, 128)] if args.quick else [(32, 128), (64, 256), (256, 512)]
    speed_rows = []
    gpu = tr.cuda_available()
    for batch, hidden in sizes:
        cpu_s = time_lstm_step("cpu", batch, hidden)
        if gpu:
            gpu_s = time_lstm_step("cuda", batch, hidden)
            speed_rows.append([batch, hidden, f"{cpu_s * 1000:.0f}", f"{gpu_s * 1000:.0f}", f"{cpu_s / gpu_s:.1f}x"])
        else:
            speed_rows.append([batch, hidden, f"{cpu_s * 1000:.0f}", "-", "-"])
    common.print_table(speed_rows, ["batch", "hidden", "CPU ms/step", "GPU ms/step", "GPU speed-up"],
                       "LSTM language-model training step, 64 characters")
    if not gpu:
        print(f"GPU comparison skipped: {backend.cuda_unavailable_reason()}")
    results["speed"] = speed_rows
    results["tanh_over_softsign"] = results["tanh RNNCell"] / results["softsign RNNCell"]
    return common.finish(args, results)


# %%
if __name__ == "__main__":
    main()
