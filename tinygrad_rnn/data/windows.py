"""Sliding windows over a time series, for one-step-ahead forecasting.

    inputs[i]  = series[i : i + window]                  (n_windows, window)
    targets[i] = series[i + window + horizon - 1]        (n_windows,)
    n_windows  = len(series) - window - horizon + 1
"""

from ..backend import np
from ..errors import OpError


def sliding_windows(series, window, horizon=1):
    """(inputs, targets) as above, float copies of the host series."""
    series = np.asarray(series)
    if series.ndim != 1:
        raise OpError(f"sliding_windows: expected a 1-D series, got shape {series.shape}")
    n = len(series) - window - horizon + 1
    if window < 1 or horizon < 1 or n < 1:
        raise OpError(f"sliding_windows: a series of length {len(series)} has no window of {window} "
                         f"steps followed by a target {horizon} step(s) ahead")
    index = np.arange(window)[None, :] + np.arange(n)[:, None]
    return series[index].copy(), series[window + horizon - 1:window + horizon - 1 + n].copy()


class Standardizer:
    """z = (x - mean) / std with the statistics of the training part only,
    so the held-out tail never leaks into the scaling."""

    def __init__(self, train):
        train = np.asarray(train, dtype=np.float64)
        self.mean = float(train.mean())
        self.std = float(train.std()) or 1.0

    def transform(self, x):
        return (np.asarray(x, dtype=np.float64) - self.mean) / self.std

    def inverse(self, z):
        return np.asarray(z, dtype=np.float64) * self.std + self.mean
