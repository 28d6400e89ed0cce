"""BG/NBD + Gamma-Gamma (lifetimes) on a transaction CSV: the field's reference on the same
protocol as `journey backtest`. Prints one JSON line: holdout totals and per-customer errors.

usage: bgnbd.py FILE.csv CALIBRATION_END HOLDOUT_END [--freq D|W] [--model bgnbd|pareto] [--no-spend]
(--model pareto: lifetimes' Pareto/NBD in place of the BG/NBD; --no-spend: purchases only, no
Gamma-Gamma, for files whose amounts say nothing, such as a count of purchase days.)
"""
import json
import sys

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
from lifetimes.utils import calibration_and_holdout_data

path, cal_end, hold_end = sys.argv[1:4]
freq = sys.argv[sys.argv.index("--freq") + 1] if "--freq" in sys.argv else "D"
pareto = "--model" in sys.argv and sys.argv[sys.argv.index("--model") + 1] == "pareto"
no_spend = "--no-spend" in sys.argv
rows = pd.read_csv(path, dtype={"customer_id": str}, parse_dates=["date"])
# Same-day purchases are one purchase occasion, as journey counts them.
daily = rows.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
daily = daily[daily["date"] <= hold_end]
summary = calibration_and_holdout_data(
    daily, "customer_id", "date", calibration_period_end=cal_end, observation_period_end=hold_end,
    freq=freq, monetary_value_col="amount")
horizon = summary["duration_holdout"].iloc[0]
bg = ParetoNBDFitter(penalizer_coef=0.0) if pareto else BetaGeoFitter(penalizer_coef=0.0)
bg.fit(summary["frequency_cal"], summary["recency_cal"], summary["T_cal"])
predicted = bg.conditional_expected_number_of_purchases_up_to_time(
    horizon, summary["frequency_cal"], summary["recency_cal"], summary["T_cal"])
if no_spend:
    spend = None
else:
    repeaters = summary[(summary["frequency_cal"] > 0) & (summary["monetary_value_cal"] > 0)]
    gg = GammaGammaFitter(penalizer_coef=0.0)
    gg.fit(repeaters["frequency_cal"], repeaters["monetary_value_cal"])
    spend = gg.conditional_expected_average_profit(summary["frequency_cal"], summary["monetary_value_cal"])
actual = summary["frequency_holdout"]
actual_revenue = summary["monetary_value_holdout"] * summary["frequency_holdout"]
error = predicted - actual
print(json.dumps({
    "model": ("Pareto/NBD" if pareto else "BG/NBD") + ("" if no_spend else " + Gamma-Gamma") + " (lifetimes)",
    "customers": int(len(summary)),
    "actual_transactions": float(actual.sum()),
    "predicted_transactions": float(predicted.sum()),
    "actual_revenue": float(actual_revenue.sum()),
    "predicted_revenue": None if spend is None else float((predicted * spend).sum()),
    "rmse": float(np.sqrt((error ** 2).mean())),
    "mae": float(error.abs().mean()),
    "correlation": float(np.corrcoef(predicted, actual)[0, 1]),
}))
