"""Yearly mean sunspot numbers, 1700-2008 (309 values), shipped in files/.

Source: NOAA National Geophysical Data Center, as bundled with statsmodels
(public domain; see files/README.md). The series has a strong ~11-year cycle,
which makes the seasonal-naive forecast y_hat[t] = y[t - 11] a fair baseline.
"""

from pathlib import Path

from ..backend import np

FILES = Path(__file__).with_name("files")
SUNSPOT_CYCLE = 11  # years, the solar cycle


def load_sunspots():
    """(years, numbers): years (309,) int64 from 1700, numbers (309,) float64."""
    path = FILES / "sunspots_yearly.csv"
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    return table[:, 0].astype(np.int64), table[:, 1].astype(np.float64)
