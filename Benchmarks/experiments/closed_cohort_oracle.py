"""The best forecast there is for a generated closed cohort without leads, ageing or waking
(`journey generate --acquisition-months 3 --lead-share 0`): it knows the generator's truth (the
Gamma purchase rates, the Beta monthly dropout hazards, the monthly season; FILE.truth.json), and
sums each customer's expected holdout purchases under their posterior over an 80 x 60 grid of
rate and hazard, given their purchase days up to the calibration end. Benchmarks/README.md,
session 29, compares `journey backtest` with it.

usage: closed_cohort_oracle.py FILE.csv CALIBRATION_END HOLDOUT_MONTHS [--index I1,...,I12] [--seasonal-dropout]
  --index             use this season index instead of the truth's (e.g. the one `journey fit` read)
  --seasonal-dropout  let the season speed up dropout too, as journey's clock does
needs numpy, pandas and scipy (the CDNOW benchmark's virtual environment has them).
"""
import json
import sys

import numpy as np
import pandas as pd
from scipy import stats

path, cal_end, months_ahead = sys.argv[1], sys.argv[2], int(sys.argv[3])
truth = json.load(open(path.removesuffix(".csv") + ".truth.json"))["parameters"]
if truth["lead_share"] != 0 or truth["ageing"] != 0 or truth["wake_rate_per_day"] != 0 or truth["acquisition_months"] == 0:
    sys.exit("the oracle knows closed cohorts without leads, ageing or waking only")
seasonal_dropout = "--seasonal-dropout" in sys.argv
DAYS_PER_MONTH = 30.4375
start = pd.Timestamp(truth["start"])
rows = pd.read_csv(path, parse_dates=["date"])
rows = rows[rows.event == "purchase"]
rows["day"] = (rows.date - start).dt.days
occasions = rows[["customer_id", "day"]].drop_duplicates()
T = (pd.Timestamp(cal_end) - start).days + 1                       # first day after calibration
end = (pd.Timestamp(cal_end) + pd.offsets.MonthEnd(months_ahead) - start).days + 1
month = np.array([(start + pd.Timedelta(days=d)).month for d in range(end)])
if "--index" in sys.argv:
    s = np.array([float(x) for x in sys.argv[sys.argv.index("--index") + 1].split(",")])[month - 1]
else:
    s = 1 + truth["purchase_seasonality"] * np.cos(2 * np.pi * (month - 12) / 12)
S = np.concatenate([[0], np.cumsum(s)])                            # S[t]: seasonal days before day t

# The grid: quantiles of the truth's distributions, equally weighted, so the prior is flat on it.
shape, mean = truth["purchase_rate_shape"], truth["purchase_rate_mean_per_month"]
lam = stats.gamma.ppf(np.linspace(0.0005, 0.9995, 80), shape, scale=mean / shape) / DAYS_PER_MONTH
hazard = stats.beta.ppf(np.linspace(0.0005, 0.9995, 60), truth["dropout_alpha"], truth["dropout_beta"])
L, D = (a.ravel() for a in np.meshgrid(lam, -np.log1p(-hazard) / DAYS_PER_MONTH, indexing="ij"))

# Dropout's clock: calendar days, or the seasonal days.
Dclock = S if seasonal_dropout else np.arange(len(S), dtype=float)
# C[:, t] = integral over days before t of (death density) x (no purchase since day 0), day by day
# (the rates are constant within a day, so each day's piece is exact).
E = np.exp(-np.outer(L, S[:T + 1]) - np.outer(D, Dclock[:T + 1]))
d_rate = D[:, None] * (s[None, :T] if seasonal_dropout else 1)
r = L[:, None] * s[None, :T] + d_rate
C = np.concatenate([np.zeros((len(L), 1)), np.cumsum(d_rate * E[:, :T] * (1 - np.exp(-r)) / r, axis=1)], axis=1)

# Holdout purchases per grid point alive on day T, per month: lambda s(u) P(alive on day u).
days = np.arange(T, end)
alive = np.exp(-np.outer(D, Dclock[days] - Dclock[T]))
per_day = L[:, None] * s[None, T:end] * alive
holdout_months = month[T:end]
labels = list(dict.fromkeys(holdout_months))
per_month = np.stack([per_day[:, holdout_months == m].sum(axis=1) for m in labels], axis=1)

calibration = occasions[occasions.day < T].groupby("customer_id").day
predicted = np.zeros(len(labels))
for first, last, n in zip(calibration.min().values, calibration.max().values, calibration.count().values):
    # Likelihood of the repeat purchases (the first is the start) and of the quiet days since:
    # lambda^x [P(alive through T) + P(died between the last purchase and T)], both since `first`.
    shift = np.exp(L * S[first] + D * Dclock[first])
    survived = np.exp(-L * (S[T] - S[first]) - D * (Dclock[T] - Dclock[first]))
    died = shift * (C[:, T] - C[:, last + 1])
    weight = L ** (n - 1) * (survived + died)
    weight /= weight.sum()
    predicted += (weight * survived / (survived + died)) @ per_month

holdout = occasions[(occasions.day >= T) & (occasions.day < end)]
actual = np.array([(month[holdout.day.values] == m).sum() for m in labels])
print(" ".join(f"{m}: {a} / {p:.0f}" for m, a, p in zip(labels, actual, predicted)))
print(f"{path} calibrated to {cal_end}: actual {actual.sum()}, oracle {predicted.sum():.0f}, error {100 * (predicted.sum() / actual.sum() - 1):+.1f}%")
