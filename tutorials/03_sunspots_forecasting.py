"""Tutorial 3: LSTM and GRU forecasting the sunspot series against baselines."""

# %% [markdown]
# # 3. Forecasting the sunspot series with an LSTM and a GRU
#
# 309 yearly sunspot numbers (1700-2008, NOAA, shipped with the library). We
# forecast one year ahead from the previous `window` years, train on the years
# before 1969 and measure the root mean squared error (RMSE) on the last 40
# years, which the models never see. Three baselines set the bar:
#
# - persistence: next year is like this year, y_hat[t] = y[t - 1];
# - seasonal naive: next year is what it was one solar cycle (11 years) ago,
#   y_hat[t] = y[t - 11];
# - linear autoregression AR(p): y_hat[t] = c + sum_k a_k y[t - k], fitted by
#   least squares on the training years.
#
# The recurrent models keep the weights that did best on the 30 years before
# the test tail (early stopping): with only ~220 training windows, training
# longer fits the noise of past cycles instead of their shape.
#
# Run: `python tutorials/03_sunspots_forecasting.py [--quick] [--device cuda] [--out DIR]`

# %%
import common

import tinygrad_rnn as tr
from tinygrad_rnn import data, nn, optim
from tinygrad_rnn.backend import np

TEST_YEARS = 40
VALIDATION_YEARS = 30
WINDOW = 24
AR_ORDER = 11


def rmse(pred, truth):
    return float(np.sqrt(np.mean((np.asarray(pred) - np.asarray(truth)) ** 2)))


# %% [markdown]
# ## The baselines


# %%
def seasonal_naive(series, start, period=data.SUNSPOT_CYCLE):
    """y_hat[t] = y[t - period] for every t >= start."""
    return series[start - period:len(series) - period]


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


# %% [markdown]
# ## The recurrent forecaster
#
#     x: (B, window, 1) standardised values -> LSTM or GRU -> h at the last step (B, H)
#     -> Linear -> the next standardised value (B, 1)


# %%
class Forecaster(nn.Module):
    def __init__(self, kind, hidden_size):
        super().__init__()
        self.rnn = {"LSTM": nn.LSTM, "GRU": nn.GRU}[kind](1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1]).reshape(-1)


def train_forecaster(kind, fit, val, steps, device, hidden_size=32, lr=1e-2, check_every=10):
    """Full-batch Adam on the fitting windows; returns the weights that scored best on the
    validation windows (early stopping: 250 windows are few, and a longer run only overfits)."""
    model = Forecaster(kind, hidden_size).to(device)
    opt = optim.Adam(model.parameters(), lr=lr)
    x, y = (tr.tensor(a.astype(np.float32), device=device) for a in (fit[0][:, :, None], fit[1]))
    losses, val_losses, best = [], [], (float("inf"), None)
    for step in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        if step % check_every == check_every - 1:
            val_losses.append(float(np.mean((forecast(model, val[0], device) - val[1]) ** 2)))
            if val_losses[-1] < best[0]:
                best = (val_losses[-1], {k: v.numpy().copy() for k, v in model.state_dict().items()})
    model.load_state_dict(best[1])
    return model, losses, val_losses


def forecast(model, windows, device):
    with tr.no_grad():
        return model(tr.tensor(windows[:, :, None].astype(np.float32), device=device)).numpy().astype(np.float64)


# %%
def main(argv=None):
    args = common.parse_args(__doc__, argv, name="03_sunspots_forecasting")
    device = common.check_device(args.device)
    tr.manual_seed(args.seed)
    years, series = data.load_sunspots()
    start = len(series) - TEST_YEARS                    # the first held-out year's index
    truth = series[start:]
    scale = data.Standardizer(series[:start])
    z = scale.transform(series)

    # windows predicting the 30 years before the test tail pick the stopping step; the rest fit the weights
    x_train, y_train = data.sliding_windows(z[:start], WINDOW)
    n_val = VALIDATION_YEARS
    fit, val = (x_train[:-n_val], y_train[:-n_val]), (x_train[-n_val:], y_train[-n_val:])
    x_test, _ = data.sliding_windows(z[start - WINDOW:], WINDOW)

    predictions = {
        "persistence y[t-1]": series[start - 1:-1],
        "seasonal naive y[t-11]": seasonal_naive(series, start),
        f"linear AR({AR_ORDER})": autoregression_forecast(series, start, fit_autoregression(series[:start], AR_ORDER)),
    }
    steps = 150 if args.quick else 400
    curves, val_curves, seconds = {}, {}, {}
    for kind in ("LSTM", "GRU"):
        with common.Timer() as timer:
            model, curves[kind], val_curves[kind] = train_forecaster(kind, fit, val, steps, device)
        seconds[kind] = timer.seconds
        predictions[kind] = scale.inverse(forecast(model, x_test, device))

    scores = {name: rmse(pred, truth) for name, pred in predictions.items()}
    rows = [[name, score, f"{seconds[name]:.1f}s" if name in seconds else "-"] for name, score in scores.items()]
    common.print_table(rows, ["model", f"RMSE, {years[start]}-{years[-1]}", "train time"],
                       f"One-year-ahead forecasts of the last {TEST_YEARS} years ({steps} training steps)")

    plt = common.pyplot()
    if plt is not None:
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [3, 1]})
        ax.plot(years[start - 30:], series[start - 30:], "k-", lw=2, label="observed")
        for name in ("seasonal naive y[t-11]", f"linear AR({AR_ORDER})", "LSTM", "GRU"):
            ax.plot(years[start:], predictions[name], lw=1.2, label=f"{name} ({scores[name]:.1f})")
        ax.axvline(years[start] - 0.5, color="grey", ls=":")
        ax.set_xlabel("year")
        ax.set_ylabel("sunspot number")
        ax.set_title("One-year-ahead forecasts on the held-out tail (RMSE)")
        ax.legend(fontsize="small")
        for i, (kind, losses) in enumerate(curves.items()):
            ax2.semilogy(losses, color=f"C{i}", label=f"{kind}, training")
            checks = np.arange(1, len(val_curves[kind]) + 1) * (len(losses) // max(len(val_curves[kind]), 1))
            ax2.semilogy(checks, val_curves[kind], color=f"C{i}", ls="--", label=f"{kind}, validation")
        ax2.set_xlabel("step")
        ax2.set_title("MSE (standardised)")
        ax2.legend(fontsize="x-small", loc="lower left")
        common.save(fig, args.out, "sunspot_forecasts.png")
    return common.finish(args, {"rmse": scores})


# %%
if __name__ == "__main__":
    main()
