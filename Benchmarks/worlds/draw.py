"""Transactions drawn from the field's own models, with CDNOW's published parameters: a world
where BG/NBD (or Pareto/NBD) is the truth, and journey is the one that must adapt.

  bgnbd:  purchase rate ~ Gamma(r = 0.243, alpha = 4.414 weeks); after each purchase, the first
          included, the customer drops out with its p ~ Beta(a = 0.793, b = 2.426)
          (Fader, Hardie & Lee 2005, "Counting your customers the easy way", CDNOW).
  pareto: purchase rate ~ Gamma(r = 0.553, alpha = 10.58 weeks); a lifetime exponential with
          rate ~ Gamma(s = 0.606, beta = 11.67 weeks) (the Pareto/NBD on CDNOW, Fader, Hardie &
          Lee 2005, "A note on implementing the Pareto/NBD model in MATLAB").
  spend:  each purchase Gamma(p = 6.25, nu), nu ~ Gamma(q = 3.74, gamma = 15.44) per customer
          (Gamma-Gamma on CDNOW, Fader, Hardie & Lee 2005, "RFM and CLV"), apart from buying.

Each customer's first purchase falls uniformly in the first ACQUISITION_DAYS days from
2020-01-01; the history runs MONTHS months. No seasons, no ageing, no leads, no refunds.

usage: draw.py bgnbd|pareto SEED CUSTOMERS MONTHS ACQUISITION_DAYS OUT.csv
"""
import datetime as dt
import os
import sys

import numpy as np

kind, seed, customers, months, acquisition, out = sys.argv[1], *map(int, sys.argv[2:6]), sys.argv[6]
rng = np.random.default_rng(seed)
start = dt.date(2020, 1, 1)
end = dt.date(2020 + months // 12, months % 12 + 1, 1) - dt.timedelta(days=1)
days = (end - start).days + 1
week = 7.0
with open(out + ".tmp", "w") as f:
    f.write("customer_id,date,amount\n")
    for c in range(customers):
        first = rng.uniform(0, acquisition)
        nu = rng.gamma(3.74, 1 / 15.44)
        times = [first]
        if kind == "bgnbd":
            rate, dropout = rng.gamma(0.243, 1 / (4.414 * week)), rng.beta(0.793, 2.426)
            while rng.uniform() >= dropout:
                t = times[-1] + rng.exponential(1 / rate)
                if t >= days:
                    break
                times.append(t)
        else:
            rate, death = rng.gamma(0.553, 1 / (10.58 * week)), rng.gamma(0.606, 1 / (11.67 * week))
            alive_until = min(days, first + rng.exponential(1 / death))
            while (t := times[-1] + rng.exponential(1 / rate)) < alive_until:
                times.append(t)
        for t in times:
            f.write(f"c{c},{(start + dt.timedelta(days=int(t))).isoformat()},{rng.gamma(6.25, 1 / nu):.2f}\n")

os.replace(out + ".tmp", out)
