"""How many rides a cell's vehicles serve: the demand law behind a forecast's P10/P90.

A cell's pick-ups over a horizon are negative binomial around the forecast's mean, the law the
forecast itself uses (``dispatch.forecast.spread``: Var = μ + (r·μ)²). Its spread is recovered
from P10 and P90 (the 10-90 range of a normal law is 2 × 1.2816 standard deviations); where that
spread is no wider than Poisson's, the law is Poisson. With ``s`` vehicles standing in the cell,
the rides served are E[min(s, D)] = Σ_{k<s} P(D > k), so the k-th vehicle adds P(D ≥ k): each
added vehicle serves less than the one before.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.stats import nbinom, poisson

#: Half the 10-90 range of a normal law, in standard deviations.
Z90 = 1.2816


def survival(mean: float, p10: float, p90: float, upto: int) -> NDArray[np.float64]:
    """P(D > k) for k = 0 … ``upto`` - 1 under the law of a forecast (mean, P10, P90)."""
    k = np.arange(max(upto, 0))
    if mean <= 0:
        return np.zeros(len(k))
    sd = max(p90 - p10, 0.0) / (2 * Z90)
    extra = sd * sd - mean  # the variance beyond Poisson's
    if extra <= 1e-9:
        out: NDArray[np.float64] = poisson.sf(k, mean)
        return out
    size = mean * mean / extra  # Var = μ + μ²/size
    out = nbinom.sf(k, size, size / (size + mean))
    return out


def expected_served(mean: float, p10: float, p90: float, stock: int) -> float:
    """E[min(stock, D)]: the rides ``stock`` vehicles serve."""
    return float(survival(mean, p10, p90, stock).sum())


def target_stock(p90: float) -> int:
    """Vehicles a cell should hold: its demand's P90, so riders find one nine times in ten.

    A vehicle idle in a cell costs little (it waits for the next horizon) and a rider who finds
    none is a trip lost, so the stock is set at a high quantile of demand (the newsvendor's
    critical ratio); P90 is the forecast's own quantile, the mean plus 1.28 standard deviations
    of its law, so it carries the forecast's uncertainty as safety stock.
    """
    return max(0, math.ceil(p90 - 1e-9))
