"""A prototype, not the tool: the activity model with a tenure curve on the purchase rate alone.

journey's activity model (Sources/JourneyKit/Propensity/ActivityModel.swift) ages a customer by
running its whole process on a slower clock: buying, falling dormant and waking all slow down
together. This script fits the same model (active/dormant, a nonparametric mixing distribution
over purchase and dormancy rates on the same grid, one wake rate for the base) with the tenure
curve on the purchase rate only:

    purchase rate t days after the first purchase = lambda * (1 + b exp(-t / tau)) * (1 + t / 365)^-k
    falling dormant (mu) and waking (omega): constant

and reads b, k and omega by maximum likelihood over a small grid. The likelihood of a gap is the
time-ordered exponential of the 2x2 generator, taken day by day (the curve is constant within a
day, at its midpoint) with a doubling table of day products, so each gap costs a dozen 2x2
products per grid point. No prior on the weights, no spend: purchase occasions only. No season
either, unless one is given (--known-season, --season-index) or read from one year of data as
`journey fit` reads it (--read-season).

It exists to decide whether the model is worth building into the tool (Benchmarks/README.md,
"A tenure curve on the purchase rate alone"; --wake-is-purchase: "Waking as a purchase"). Each run prints, per (b, k), the log-likelihood at
its best wake rate and the forecast's total error over the holdout, for the customers with a
purchase by the calibration end, then the pair the likelihood chooses.

usage: python tenure_curve.py FILE CALIBRATION_END HOLDOUT_END [--boosts 0,0.5,1] [--exponents 0,0.25,0.5]
       [--tau 30] [--iterations 600] [--known-season A | --season-index F1,...,F12 | --read-season]
       [--season-on-all-rates] [--wake-is-purchase]
FILE: customer_id,date,amount[,event] (rows whose event is not 'purchase' are left out).
numpy is the only dependency (the venv of Benchmarks/cdnow/run.sh has it).
"""
import argparse
import collections
import datetime

import numpy as np

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("file")
parser.add_argument("calibration_end")
parser.add_argument("holdout_end")
parser.add_argument("--boosts", default="0,0.5,1", help="values of b, the early boost")
parser.add_argument("--exponents", default="0,0.25,0.5", help="values of k, the power curve's exponent")
parser.add_argument("--tau", type=float, default=30.0, help="days over which the early boost fades")
parser.add_argument("--iterations", type=int, default=600,
                    help="EM steps of each final fit (plain EM from equal weights converges slowly, and the "
                         "early-stopped weights are smoother: on CDNOW from 1997-05-31 the forecast is -0.2%% "
                         "after 50 steps, -8.0%% after 150, -14.4%% after 500, -16.3%% after 2,000)")
parser.add_argument("--known-season", type=float, default=0.0,
                    help="a purchase season given from outside, in journey generate's form: the purchase rate "
                         "times 1 + A cos(2 pi (month - 12) / 12); A = the generator's --purchase-seasonality")
parser.add_argument("--read-season", action="store_true",
                    help="read a one-year season as journey fit does (against a model without one), scan the "
                         "curves with it, then read it again against the chosen curve and scan again")
parser.add_argument("--season-on-all-rates", action="store_true",
                    help="let the season speed up and slow down falling dormant and waking too, as the tool's "
                         "seasonal clock does (by default it moves the purchase rate alone, as the generator's)")
parser.add_argument("--wake-is-purchase", action="store_true",
                    help="a dormant customer comes back with a purchase (waking is seen only as one), instead of "
                         "waking silently and buying at its own rate from then on, as the tool's model does")
parser.add_argument("--season-index", default=None,
                    help="a purchase season given as 12 factors, January first (e.g. the seasonal_index of a "
                         "monthly model file of journey fit)")
args = parser.parse_args()

origin = datetime.date(1900, 1, 1)
def day_number(text): return (datetime.date.fromisoformat(text) - origin).days
end, holdout_end = day_number(args.calibration_end), day_number(args.holdout_end)

# Purchase days per customer up to the end (same-day purchases are one occasion), and each
# customer's purchase days in the holdout.
calibration = collections.defaultdict(set)
holdout = collections.defaultdict(set)
with open(args.file) as f:
    next(f)
    for line in f:
        fields = line.rstrip("\n").split(",")
        if len(fields) > 3 and fields[3] != "purchase":
            continue
        d = day_number(fields[1])
        if d <= end:
            calibration[fields[0]].add(d)
        elif d <= holdout_end:
            holdout[fields[0]].add(d)
customers = sorted(calibration)
histories = [sorted(calibration[c]) for c in customers]
actual = np.array([len(holdout.get(c, ())) for c in customers], float)
tenure_at_end = np.array([end - h[0] for h in histories])
print(f"{args.file} to {args.calibration_end}: {len(customers)} customers, "
      f"{int(actual.sum())} purchase days of theirs to {args.holdout_end}", flush=True)

# The grid of journey's FitOptions: 22 purchase rates, 10 dormancy rates a day.
purchase_rates = np.exp(np.linspace(np.log(1 / 5000), 0, 22))
dormancy_rates = np.exp(np.linspace(np.log(1e-5), np.log(0.1), 10))
LAMBDA = np.repeat(purchase_rates, len(dormancy_rates))
MU = np.tile(dormancy_rates, len(purchase_rates))
G = LAMBDA.size

# Gaps in tenure days: between consecutive purchases, and from the last purchase to the end.
gap_customer, gap_start, gap_length, repeats = [], [], [], np.zeros(len(customers))
for c, days in enumerate(histories):
    tenure = [d - days[0] for d in days]
    repeats[c] = len(days) - 1
    for a, b in zip(tenure, tenure[1:]):
        gap_customer.append(c); gap_start.append(a); gap_length.append(b - a)
gap_customer, gap_start, gap_length = map(np.array, (gap_customer, gap_start, gap_length))
last_start = np.array([h[-1] - h[0] for h in histories])
last_length = tenure_at_end - last_start
DAYS = int(tenure_at_end.max()) + 2
LEVELS = int(np.ceil(np.log2(DAYS + 1))) + 1


def curve(tenure, b, k):
    tenure = np.asarray(tenure, float)
    return (1 + b * np.exp(-tenure / args.tau)) * (1 + tenure / 365) ** (-k)


def expm2(A):
    """exp of a stack of 2x2 matrices with real eigenvalues (generators less a diagonal)."""
    a, b, c, d = A[..., 0, 0], A[..., 0, 1], A[..., 1, 0], A[..., 1, 1]
    m = (a + d) / 2
    s = np.sqrt(np.maximum(((a - d) / 2) ** 2 + b * c, 0))
    sinh_over_s = np.where(s > 1e-12, np.sinh(s) / np.where(s > 1e-12, s, 1), 1.0)
    e, ch = np.exp(m), np.cosh(s)
    R = np.empty_like(A)
    R[..., 0, 0] = e * (ch + sinh_over_s * (a - m)); R[..., 0, 1] = e * sinh_over_s * b
    R[..., 1, 0] = e * sinh_over_s * c; R[..., 1, 1] = e * (ch + sinh_over_s * (d - m))
    return R


# The purchase season per calendar month, January first (None: no season).
SEASON = None
if args.season_index:
    SEASON = np.array([float(x) for x in args.season_index.split(",")])
elif args.known_season != 0:
    SEASON = 1 + args.known_season * np.cos(2 * np.pi * (np.arange(1, 13) - 12) / 12)


def month_of(day_numbers):
    dates = np.datetime64(origin.isoformat()) + np.asarray(day_numbers).astype("timedelta64[D]")
    return dates.astype("datetime64[M]").astype(int) % 12 + 1


def season(day_numbers):
    """The purchase season of each day (1 without one)."""
    if SEASON is None:
        return np.ones(np.shape(day_numbers))
    return SEASON[month_of(day_numbers) - 1]


# Customers whose days share one table: all of them without a season (tenure is all that
# matters), else those with the same first purchase day.
first_days = np.array([h[0] for h in histories])
cohorts = [np.where(first_days == f)[0] for f in np.unique(first_days)]


def log_likelihoods(b, k, omega):
    """Per customer and grid point: the log-likelihood, and P(active at the end)."""
    L = np.zeros((len(customers), G))
    active_at_end = np.zeros((len(customers), G))
    for members in ([np.arange(len(customers))] if SEASON is None else cohorts):
        first = first_days[members[0]]
        pace = season(first + np.arange(DAYS))
        rate = curve(np.arange(DAYS) + 0.5, b, k) * pace
        if not args.season_on_all_rates:
            pace = np.ones(DAYS)
        L[members], active_at_end[members] = group_log_likelihoods(members, rate, pace, b, k, omega)
    return L, active_at_end


def group_log_likelihoods(members, rate, pace, b, k, omega):
    """The same for customers who share the day rates (indexed by tenure day): `rate` multiplies
    the purchase rate, `pace` falling dormant and waking."""
    M = np.zeros((DAYS, G, 2, 2))
    M[:, :, 0, 0] = -MU * pace[:, None] - LAMBDA * rate[:, None]
    M[:, :, 0, 1] = MU * pace[:, None]
    # With --wake-is-purchase a quiet span holds no waking: the waking is the purchase that ends it.
    M[:, :, 1, 0] = 0 if args.wake_is_purchase else omega * pace[:, None]
    M[:, :, 1, 1] = -omega * pace[:, None]
    # table[l][d]: the product of the day matrices of days d ... d + 2^l - 1.
    table = [expm2(M)]
    for level in range(1, LEVELS):
        half, previous = 1 << (level - 1), table[-1]
        table.append(np.einsum("dgij,dgjk->dgik", previous[:-half], previous[half:]))

    def walk(start, length):
        """The row of `active` through each span: (P(no purchase, active), P(no purchase, dormant)), in logs."""
        rows, logs = np.zeros((len(start), G, 2)), np.zeros((len(start), G))
        for s in range(0, len(start), 4000):
            at, n = start[s:s + 4000].copy(), length[s:s + 4000]
            v = np.zeros((len(at), G, 2)); v[:, :, 0] = 1
            lg = np.zeros((len(at), G))
            for level in range(LEVELS):
                use = ((n >> level) & 1).astype(bool)
                if not use.any():
                    continue
                v[use] = np.einsum("ngi,ngij->ngj", v[use], table[level][at[use]])
                total = np.maximum(v[use].sum(axis=2), 1e-300)
                v[use] /= total[:, :, None]
                lg[use] += np.log(total)
                at[use] += 1 << level
            rows[s:s + 4000], logs[s:s + 4000] = v, lg
        return rows, logs

    position = np.full(len(customers), -1)
    position[members] = np.arange(len(members))
    gaps = np.where(position[gap_customer] >= 0)[0]
    owner = position[gap_customer[gaps]]
    L = np.zeros((len(members), G))
    v, lg = walk(gap_start[gaps], gap_length[gaps])
    ends = gap_start[gaps] + gap_length[gaps]
    if args.wake_is_purchase:
        # The purchase that ends a gap: an active customer's (rate lambda x curve x season) or a
        # dormant one's waking (rate omega).
        c = curve(ends, b, k) * season(first_days[members][owner] + ends)
        density = v[:, :, 0] * LAMBDA[None, :] * c[:, None] + v[:, :, 1] * omega
        np.add.at(L, owner, lg + np.log(np.maximum(density, 1e-300)))
    else:
        np.add.at(L, owner, lg + np.log(np.maximum(v[:, :, 0], 1e-300)))
        L += repeats[members, None] * np.log(LAMBDA)
        at_purchases = np.zeros(len(members))
        np.add.at(at_purchases, owner, np.log(curve(ends, b, k) * season(first_days[members][owner] + ends)))
        L += at_purchases[:, None]
    v, lg = walk(last_start[members], last_length[members])
    quiet = np.maximum(v.sum(axis=2), 1e-300)
    return L + lg + np.log(quiet), v[:, :, 0] / quiet


def em(L, iterations):
    """The mixing weights by EM; the log-likelihood and each customer's posterior over the grid."""
    top = L.max(axis=1, keepdims=True)
    X = np.exp(L - top)
    w = np.full(G, 1 / G)
    for _ in range(iterations):
        p = X * w
        w = (p / p.sum(axis=1, keepdims=True)).mean(axis=0)
    p = X * w
    total = p.sum(axis=1)
    em.weights = w
    return (np.log(total) + top[:, 0]).sum(), p / total[:, None]


def expected_purchases(b, k, omega, posterior, active):
    """Each customer's expected purchase days in the holdout: the curve times P(active), summed by day."""
    days = np.arange(1, holdout_end - end + 1)
    r = MU + omega
    pi = np.where(r > 0, omega / np.where(r > 0, r, 1), 0)
    out = np.zeros(len(customers))
    for t in np.unique(tenure_at_end):
        who = np.where(tenure_at_end == t)[0]
        pace = season(end + days)
        rate = curve(t + days - 0.5, b, k) * pace
        # Time for falling dormant and waking: operational days when the season moves them too.
        clock = np.cumsum(pace) - pace / 2 if args.season_on_all_rates else days - 0.5
        settled = rate.sum()
        fading = (rate[None, :] * np.exp(-np.outer(r, clock))).sum(axis=1)
        per_point = LAMBDA * (pi * settled + (active[who] - pi) * fading)
        if args.wake_is_purchase:
            # Each waking is a purchase: omega times the days spent dormant.
            per_point += omega * (len(days) * (1 - pi) - (active[who] - pi) * np.exp(-np.outer(r, clock)).sum(axis=1))
        out[who] = (posterior[who] * per_point).sum(axis=1)
    return out


def best_over_wake_rates(b, k, omegas, iterations):
    best = None
    for omega in omegas:
        L, active = log_likelihoods(b, k, omega)
        ll, posterior = em(L, iterations)
        if best is None or ll > best[0]:
            best = (ll, omega, posterior, active)
    return best


def read_season(b, k, omega, weights):
    """journey's one-year seasonal index (ActivityModel.seasonalIndexAgainstExpectation, each season
    seen once): the repeat purchases of each complete month against what the model without a season
    expects of its customers knowing only their first purchase days; log ratios less a trend across
    the months, each shrunk by its share of Poisson noise, scaled to average 1."""
    start = (np.datetime64(origin.isoformat()) + np.timedelta64(int(first_days.min()), "D")).astype("datetime64[M]")
    if (start.astype("datetime64[D]") - np.datetime64(origin.isoformat())).astype(int) < first_days.min():
        start += np.timedelta64(1, "M")
    bounds = []
    while True:
        a = (start.astype("datetime64[D]") - np.datetime64(origin.isoformat())).astype(int)
        z = ((start + np.timedelta64(1, "M")).astype("datetime64[D]") - np.datetime64(origin.isoformat())).astype(int)
        if z > end + 1:
            break
        bounds.append((a, z, int(start.astype(int) % 12)))
        start += np.timedelta64(1, "M")
    actual_months = np.zeros(len(bounds))
    for days in histories:
        for d in days[1:]:
            for t, (a, z, _) in enumerate(bounds):
                if a <= d < z:
                    actual_months[t] += 1
    r = MU + omega
    pi = np.where(r > 0, omega / np.where(r > 0, r, 1), 0)
    t = np.arange(DAYS + 400) + 0.5
    per_day = (weights[:, None] * LAMBDA[:, None] * (pi[:, None] + (1 - pi[:, None]) * np.exp(-np.outer(r, t)))).sum(axis=0)
    per_day *= curve(t, b, k)
    if args.wake_is_purchase:
        per_day += (weights[:, None] * omega * (1 - pi[:, None]) * (1 - np.exp(-np.outer(r, t)))).sum(axis=0)
    expected_months = np.zeros(len(bounds))
    for f in np.unique(first_days):
        n = (first_days == f).sum()
        for m, (a, z, _) in enumerate(bounds):
            lo, hi = max(a, f + 1), z
            if hi > lo:
                expected_months[m] += n * per_day[lo - f:hi - f].sum()
    if not 12 <= len(bounds) < 24:
        raise SystemExit(f"--read-season reads a season seen once: 12 to 23 complete months, not {len(bounds)}")
    y = np.log(actual_months / expected_months)
    w = expected_months
    x = np.arange(len(bounds), dtype=float)
    xb, yb = (w * x).sum() / w.sum(), (w * y).sum() / w.sum()
    slope = (w * (x - xb) * (y - yb)).sum() / (w * (x - xb) ** 2).sum()
    residual = y - yb - slope * (x - xb)
    index = np.ones(12)
    noise = 1 / np.maximum(1, w)
    signal = max(0, (residual ** 2).mean() - noise.mean())
    for m, (_, _, month) in enumerate(bounds):
        index[month] = np.exp(residual[m] * signal / (signal + noise[m]))
    return index / index.mean()


# The wake rate is scanned on journey's candidates without a curve, then each (b, k) picks among it
# and its two neighbours on the log scale (or 0 and 1/3000 when it is 0).
candidates = [0] + list(np.exp(np.linspace(np.log(1 / 3000), np.log(1 / 30), 9)))
omega0 = best_over_wake_rates(0, 0, candidates, 40)[1]
near = [0, 1 / 3000] if omega0 == 0 else [omega0 / 1.78, omega0, omega0 * 1.78]


def evaluate(b, k):
    ll, omega, posterior, active = best_over_wake_rates(b, k, near, args.iterations)
    predicted = expected_purchases(b, k, omega, posterior, active)
    error = predicted.sum() / actual.sum() - 1
    rmse = np.sqrt(((predicted - actual) ** 2).mean())
    wake = f"1/{1 / omega:.0f}" if omega > 0 else "0"
    print(f"b={b:<4} k={k:<4} wake={wake:<7} loglik={ll:.1f} predicted={predicted.sum():.0f} "
          f"error={100 * error:+.1f}% rmse={rmse:.3f}", flush=True)
    return (ll, b, k, omega, error)


def scan():
    results = [evaluate(float(b), float(k)) for b in args.boosts.split(",") for k in args.exponents.split(",")]
    ll, b, k, omega, error = max(results)
    plain = [r[4] for r in results if r[1] == 0 and r[2] == 0]
    print(f"chosen by the likelihood: b={b} k={k}, error {100 * error:+.1f}%"
          + (f" (no curve: {100 * plain[0]:+.1f}%)" if plain else ""), flush=True)
    return b, k, omega


if args.read_season:
    best_over_wake_rates(0, 0, [omega0], args.iterations)
    SEASON = read_season(0, 0, omega0, em.weights)
    print("season read without a curve:", " ".join(f"{x:.2f}" for x in SEASON), flush=True)
b, k, omega = scan()
if args.read_season and (b, k) != (0, 0):
    # Read again against the expectation of the chosen curve (without a season), and scan again.
    SEASON = None
    best_over_wake_rates(b, k, [omega], args.iterations)
    SEASON = read_season(b, k, omega, em.weights)
    print(f"season read with the curve b={b} k={k}:", " ".join(f"{x:.2f}" for x in SEASON), flush=True)
    scan()
