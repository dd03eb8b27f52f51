"""Tutorial 3: LSTM and GRU forecasting the sunspot series against baselines."""

# %% [markdown]
# # 3. Forecasting the sunspot series with an LSTM and a GRU
#
# 309 yearly sunspot numbers (1700-2008, NOAA, shipped with the library). We
# forecast one year ahead from the previous `window` years and measure the root
# mean squared error (RMSE) on the last 40 years, which no choice we make ever
# looks at. Three splits, in time order:
#
# - fit (the years up to 1938): the weights are trained on these;
# - validation (the 30 years 1939-1968): they pick *which* weights to keep;
# - test (1969-2008): scored once, at the end, for the model validation picked.
#
# Three baselines set the bar:
#
# - persistence: next year is like this year, y_hat[t] = y[t - 1];
# - seasonal naive: next year is what it was one solar cycle (11 years) ago,
#   y_hat[t] = y[t - 11];
# - linear autoregression AR(p): y_hat[t] = c + sum_k a_k y[t - k], fitted by
#   least squares on the training years.
#
# Run: `python tutorials/03_sunspots_forecasting.py [--quick] [--device cuda] [--out DIR]`

# %%
import common
import exercise_checks

import tinygrad_rnn as tr
from tinygrad_rnn import data, nn, optim
from tinygrad_rnn.backend import np

# %%
args = common.parse_args(__doc__, name="03_sunspots_forecasting")
device = common.check_device(args.device)
tr.manual_seed(args.seed)
results = {}
print(f"device {device}, quick {args.quick}, figures and results.json in {args.out}")

# %%
TEST_YEARS, VALIDATION_YEARS, WINDOW, AR_ORDER = 40, 30, 24, 11
years, series = data.load_sunspots()
start = len(series) - TEST_YEARS                    # the first held-out year's index
truth = series[start:]
scale = data.Standardizer(series[:start])            # statistics of the training years only
z = scale.transform(series)

x_train, y_train = data.sliding_windows(z[:start], WINDOW)
fit = (x_train[:-VALIDATION_YEARS], y_train[:-VALIDATION_YEARS])
val = (x_train[-VALIDATION_YEARS:], y_train[-VALIDATION_YEARS:])
x_test, _ = data.sliding_windows(z[start - WINDOW:], WINDOW)
print(f"{len(series)} years; windows of {WINDOW}: {len(fit[1])} to fit, {len(val[1])} to validate, "
      f"{len(x_test)} to test ({years[start]}-{years[-1]})")


def rmse(pred, truth):
    return float(np.sqrt(np.mean((np.asarray(pred) - np.asarray(truth)) ** 2)))


# %% [markdown]
# ## The baselines

# %%
def fit_autoregression(train, order):
    """Least squares for [a_1..a_p, c] in y[t] = sum_k a_k y[t-k] + c on the training part."""
    windows, targets = data.sliding_windows(train, order)
    design = np.concatenate([windows, np.ones((len(windows), 1))], axis=1)
    coef, *_ = np.linalg.lstsq(design, targets, rcond=None)
    return coef


def autoregression_forecast(series, start, coef):
    order = len(coef) - 1
    windows, _ = data.sliding_windows(series[start - order:], order)
    return windows @ coef[:-1] + coef[-1]


period = data.SUNSPOT_CYCLE
predictions = {
    "persistence y[t-1]": series[start - 1:-1],
    f"seasonal naive y[t-{period}]": series[start - period:len(series) - period],
    f"linear AR({AR_ORDER})": autoregression_forecast(series, start, fit_autoregression(series[:start], AR_ORDER)),
}
common.print_table([[name, rmse(p, truth)] for name, p in predictions.items()], ["baseline", "test RMSE"],
                   "Baselines on the test years")

# %% [markdown]
# ## The recurrent forecaster, and a layout pitfall
#
#     x: (B, window, 1) standardised values -> LSTM or GRU -> h at the last step (B, H)
#     -> Linear -> the next standardised value (B, 1)
#
# With `batch_first=True` the *output* is (B, T, H) but `h_n` is still (num_layers, B, H),
# as in PyTorch: the last step's state is `out[:, -1]` (or `h_n[-1]`). `out[-1]` is the mistake:
# it is the last *example's* whole sequence, (T, H), and broadcasting may even let it run.
# (Bidirectional layers add a direction axis; tutorial 7 reads that layout.)

# %%
lstm = nn.LSTM(1, 8, batch_first=True).to(device)
out, (h_n, c_n) = lstm(tr.tensor(x_test[:5, :, None].astype(np.float32), device=device))
print(f"out {tuple(out.shape)} (B, T, H), h_n {tuple(h_n.shape)} (layers, B, H)")
print(f"wrong: out[-1] is {tuple(out[-1].shape)}: example 4's {WINDOW} steps, not every example's last step")
layout_ok = bool(np.allclose(out[:, -1].numpy(), h_n[-1].numpy()))
print(f"right: out[:, -1] is {tuple(out[:, -1].shape)} and equals h_n[-1]: {layout_ok}")
results["batch_first_last_step_is_h_n"] = layout_ok


# %%
class Forecaster(nn.Module):
    def __init__(self, kind, hidden_size):
        super().__init__()
        self.rnn = {"LSTM": nn.LSTM, "GRU": nn.GRU}[kind](1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1]).reshape(-1)


def forecast(model, windows):
    with tr.no_grad():
        return model(tr.tensor(windows[:, :, None].astype(np.float32), device=device)).numpy().astype(np.float64)


def validation_mse(model):
    return float(np.mean((forecast(model, val[0]) - val[1]) ** 2))


print(Forecaster("LSTM", 32))

# %% [markdown]
# ## Pitfall: `state_dict()` is not a snapshot
#
# To keep the best weights seen so far, `best = model.state_dict()` looks right, but its
# tensors share storage with the parameters (as in PyTorch): the optimizer's next step
# changes "best" too, and at the end it holds the last weights. Copy the arrays.

# %%
probe = Forecaster("GRU", 4).to(device)
probe_opt = optim.Adam(probe.parameters(), lr=0.1)
kept_reference = probe.state_dict()                                      # wrong: a view
kept_copy = {k: v.numpy().copy() for k, v in probe.state_dict().items()}  # right: a copy
loss = nn.functional.mse_loss(probe(tr.tensor(fit[0][:8, :, None].astype(np.float32), device=device)),
                              tr.tensor(fit[1][:8].astype(np.float32), device=device))
loss.backward()
probe_opt.step()
now = probe.state_dict()["head.weight"].numpy()
reference_moved = bool(np.array_equal(kept_reference["head.weight"].numpy(), now))
print(f"after one step: the kept state_dict() equals the new weights: {reference_moved} (wrong)")
print(f"                the copied arrays equal the new weights: {np.array_equal(kept_copy['head.weight'], now)}")
results["state_dict_reference_moved"] = reference_moved

# %% [markdown]
# ## Training, with the model chosen on validation
#
# Full-batch Adam; every 10 steps the validation MSE is measured and, when it is the best so
# far, the weights are copied. At the end the best copy is loaded back. With about 200
# training windows the validation loss stops improving early and then rises while the
# training loss keeps falling: training longer fits the noise of past cycles.
#
# The test years are looked at once, for the chosen model. The last-step model's test RMSE
# is printed beside it only to show what selecting on validation changed; choosing between
# the two by their test scores would turn the test years into a second validation split.

# %%
steps = 150 if args.quick else 400
check_every = 10
curves, val_curves, chosen, seconds = {}, {}, {}, {}
for kind in ("LSTM", "GRU"):
    model = Forecaster(kind, 32).to(device)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    x, y = (tr.tensor(a.astype(np.float32), device=device) for a in (fit[0][:, :, None], fit[1]))
    curves[kind], val_curves[kind], best = [], [], (float("inf"), None, None)
    with common.Timer() as timer:
        for step in range(1, steps + 1):
            loss = nn.functional.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            curves[kind].append(loss.item())
            if step % check_every == 0:
                val_curves[kind].append(validation_mse(model))
                if val_curves[kind][-1] < best[0]:
                    best = (val_curves[kind][-1], step, {k: v.numpy().copy() for k, v in model.state_dict().items()})
    seconds[kind] = timer.seconds
    last_step_forecast = scale.inverse(forecast(model, x_test))
    model.load_state_dict(best[2])
    predictions[kind] = scale.inverse(forecast(model, x_test))
    chosen[kind] = {"best_step": best[1], "validation_mse": best[0], "last_validation_mse": val_curves[kind][-1],
                    "test_rmse": rmse(predictions[kind], truth),
                    "last_step_test_rmse": rmse(last_step_forecast, truth)}
common.print_table([[kind, c["best_step"], c["validation_mse"], c["last_validation_mse"], c["test_rmse"],
                     c["last_step_test_rmse"], f"{seconds[kind]:.1f}s"] for kind, c in chosen.items()],
                   ["model", "chosen step", "val MSE there", f"val MSE, step {steps}", "test RMSE (chosen)",
                    f"test RMSE, step {steps}", "time"], f"Chosen on validation, {steps} training steps")
results["selection"] = chosen

# %% [markdown]
# ## How close is it, honestly?
#
# 40 test years are few. A paired bootstrap resamples the 40 years (the same years for
# both models) 2000 times and gives a 90% interval for RMSE(model) - RMSE(AR): when it
# contains zero, the test years cannot tell the two apart.

# %%
scores = {name: rmse(pred, truth) for name, pred in predictions.items()}
baseline = min((n for n in scores if n not in ("LSTM", "GRU")), key=scores.get)
boot = np.random.default_rng(args.seed).integers(0, TEST_YEARS, size=(2000, TEST_YEARS))


def boot_rmse(pred):
    return np.sqrt(((np.asarray(pred)[boot] - truth[boot]) ** 2).mean(axis=1))


rows, honest = [], {}
for name, score in scores.items():
    row = [name, score, "-", "-"]
    if name in ("LSTM", "GRU"):
        low, high = np.percentile(boot_rmse(predictions[name]) - boot_rmse(predictions[baseline]), [5, 95])
        row[2:] = [f"{score - scores[baseline]:+.2f} ({(score / scores[baseline] - 1) * 100:+.1f}%)",
                   f"[{low:+.2f}, {high:+.2f}]"]
        honest[name] = {"gap": score - scores[baseline], "interval": [float(low), float(high)]}
    rows.append(row)
common.print_table(rows, ["model", f"RMSE, {years[start]}-{years[-1]}", f"vs {baseline}", "90% interval"],
                   f"One-year-ahead forecasts of the last {TEST_YEARS} years")
for name, h in honest.items():
    low, high = h["interval"]
    verdict = (f"better than {baseline}" if high < 0 else f"worse than {baseline}" if low > 0
               else f"not distinguishable from {baseline} on {TEST_YEARS} years")
    h["verdict"] = verdict
    print(f"{name}: {h['gap']:+.2f} RMSE against {baseline}: {verdict}")
results["rmse"], results["best_baseline"], results["versus_best_baseline"] = scores, baseline, honest

# %% [markdown]
# Expect a gap of a few percent, up to about ten, and an interval that contains zero: on
# about 200 training windows an LSTM or GRU forecasts the next year about as well as a
# linear AR(11) fitted by least squares in a millisecond. Both beat persistence and the seasonal naive forecast by a
# wide margin; neither is shown here to beat the linear model.

# %%
plt = common.pyplot()
if plt is not None:
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [3, 1]})
    ax.plot(years[start - 30:], series[start - 30:], "k-", lw=2, label="observed")
    for name in (f"seasonal naive y[t-{period}]", f"linear AR({AR_ORDER})", "LSTM", "GRU"):
        ax.plot(years[start:], predictions[name], lw=1.2, label=f"{name} ({scores[name]:.1f})")
    ax.axvline(years[start] - 0.5, color="grey", ls=":")
    ax.set_xlabel("year")
    ax.set_ylabel("sunspot number")
    ax.set_title("One-year-ahead forecasts on the held-out tail (RMSE)")
    ax.legend(fontsize="small")
    for i, kind in enumerate(curves):
        ax2.semilogy(range(1, steps + 1), curves[kind], color=f"C{i}", label=f"{kind}, training")
        checks = np.arange(1, len(val_curves[kind]) + 1) * check_every
        ax2.semilogy(checks, val_curves[kind], color=f"C{i}", ls="--", label=f"{kind}, validation")
        ax2.axvline(chosen[kind]["best_step"], color=f"C{i}", ls=":")
    ax2.set_xlabel("step")
    ax2.set_title("MSE; dotted: the step kept")
    ax2.legend(fontsize="x-small", loc="lower left")
    common.save(fig, args.out, "sunspot_forecasts.png")

# %% [markdown]
# ## Exercises
#
# Fill in each `exercise_...` function, then run the cell at the end: it calls each
# `check_...` on your function and says "passed", "unfinished" or what was wrong.
# Worked solutions: `tutorials/solutions/03_sunspots_forecasting.py`.
#
# **1. Sliding windows.** Write `exercise_sliding_windows(series, window)` for a 1-D NumPy
# series: return (inputs, targets) with inputs[i] = series[i : i + window] and
# targets[i] = series[i + window], one row per complete window.

# %%
def exercise_sliding_windows(series, window):
    raise NotImplementedError("exercise")


def check_sliding_windows(fn):
    series = np.arange(10.0) ** 2
    for window in (1, 3, 9):
        inputs, targets = (np.asarray(a) for a in fn(series, window))
        want_in, want_t = data.sliding_windows(series, window)
        assert inputs.shape == want_in.shape, f"sliding_windows(window={window}): inputs {inputs.shape}, " \
                                              f"expected {want_in.shape}"
        assert np.array_equal(inputs, want_in) and np.array_equal(targets, want_t), \
            f"sliding_windows(window={window}): wrong values (is each target the value right after its window?)"


# %% [markdown]
# **2. An LSTM cell in NumPy.** Write `exercise_lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh)`
# returning (h', c') for x: (B, I), h, c: (B, H), W_ih: (4H, I), W_hh: (4H, H), in PyTorch's
# gate order i, f, g, o:
#
#     i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh, 4)
#     c' = sigmoid(f) * c + sigmoid(i) * tanh(g),   h' = sigmoid(o) * tanh(c')

# %%
def exercise_lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    raise NotImplementedError("exercise")


def check_lstm_cell(fn):
    rng = np.random.default_rng(6)
    B, n_in, H = 3, 2, 4
    cell = nn.LSTMCell(n_in, H).double()
    x, h, c = rng.standard_normal((B, n_in)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    with tr.no_grad():
        want_h, want_c = cell(tr.tensor(x), (tr.tensor(h), tr.tensor(c)))
    weights = [cell.state_dict()[k].numpy() for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    got_h, got_c = (np.asarray(a) for a in fn(x, h, c, *weights))
    assert got_c.shape == (B, H) and got_h.shape == (B, H), f"lstm_cell: shapes {got_h.shape}, {got_c.shape}"
    assert np.allclose(got_c, want_c.numpy()), "lstm_cell: c' differs from nn.LSTMCell's (gate order i, f, g, o?)"
    assert np.allclose(got_h, want_h.numpy()), "lstm_cell: h' differs from nn.LSTMCell's"


# %% [markdown]
# **3. Early stopping with patience.** Validation losses arrive one check at a time.
# Write `exercise_early_stopping(val_losses, patience)` returning (kept, stopped): stop at
# the first check that is `patience` checks after the best so far (a strictly lower loss is
# an improvement), or at the last check; `kept` is the index of the best check up to
# `stopped`. It must not look past `stopped`: in training, later losses do not exist yet.

# %%
def exercise_early_stopping(val_losses, patience):
    raise NotImplementedError("exercise")


def check_early_stopping(fn):
    cases = [(([5, 4, 3, 3.5, 3.6, 3.7, 2.0], 3), (2, 5)), (([5, 4, 3, 3.5, 3.6, 3.7, 2.0], 5), (6, 6)),
             (([1, 1, 1, 1], 2), (0, 2)), (([3, 2, 1], 1), (2, 2)), (([2.0], 4), (0, 0))]
    for (losses, patience), want in cases:
        got = tuple(fn(list(losses), patience))
        assert got == want, f"early_stopping({losses}, patience={patience}) = {got}, expected {want}"


# %%
results["exercises"] = exercise_checks.run(globals())

# %%
common.finish(args, results)
