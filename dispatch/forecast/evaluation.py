"""Score a forecaster on actual counts: MAE, RMSE and R² over every hour of the actuals."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dispatch.forecast.hours import Floats, Hours
from dispatch.forecast.models import BASELINE, MODELS, Progress

#: The horizons a forecast may look ahead, in hours.
MIN_HORIZON, MAX_HORIZON = 1, 168


@dataclass(frozen=True, slots=True)
class Score:
    """How close a model came."""

    name: str
    mae: float
    rmse: float
    r2: float

    def as_dict(self) -> dict[str, str | float | None]:
        """As JSON has it: R² is null where the actuals never vary (it is undefined)."""
        r2 = None if math.isnan(self.r2) else self.r2
        return {"name": self.name, "mae": self.mae, "rmse": self.rmse, "r2": r2}


def score(name: str, actual: Floats, predicted: Floats) -> Score:
    """MAE; RMSE = √MSE; R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)², ȳ the mean of the actuals (NaN when
    they are all equal)."""
    error = actual - predicted
    spread = float(np.sum((actual - actual.mean()) ** 2))
    r2 = 1.0 - float(np.sum(error**2)) / spread if spread > 0 else math.nan
    return Score(name, float(np.mean(np.abs(error))), math.sqrt(float(np.mean(error**2))), r2)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A model's predictions for the actuals' hours, its score and the baseline's."""

    predicted: Floats
    model: Score
    baseline: Score
    horizon: int
    rows: int


def evaluate(
    history: Hours,
    actuals: Hours,
    horizon: int,
    model: str,
    *,
    seed: int = 0,
    progress: Progress | None = None,
) -> Evaluation:
    """Forecast every hour of ``actuals`` ``horizon`` hours ahead with ``model`` fitted on
    ``history`` (and refitted on counts known by then), and score it.

    Raises
    ------
    ValueError
        A horizon outside 1-168 or an unknown model.
    """
    if not MIN_HORIZON <= horizon <= MAX_HORIZON:
        msg = f"the horizon is {horizon} hours; it must be from {MIN_HORIZON} to {MAX_HORIZON}"
        raise ValueError(msg)
    if model not in MODELS:
        msg = f"unknown model {model!r}; one of: {', '.join(MODELS)}"
        raise ValueError(msg)
    hours, first = history.then(actuals), len(history)
    predicted = MODELS[model].predict(hours, first, horizon, seed=seed, progress=progress)
    naive = MODELS[BASELINE].predict(hours, first, horizon, seed=seed, progress=None)
    return Evaluation(
        predicted,
        score(model, actuals.counts, predicted),
        score(BASELINE, actuals.counts, naive),
        horizon,
        len(actuals),
    )
