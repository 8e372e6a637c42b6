#!/usr/bin/python3
"""Customers of a broadband and TV subscription, labelled with whether they cancelled: the retention team's data.

Each row is one customer at the end of a month: how long they have been a customer, their plan and what it costs,
how much of a fixed-term contract is left, support tickets and late payments, and how they use the service (logins
in the last 30 days, days since the last one). The label `churned` is 1 when the customer cancelled within the next
month. Who cancels follows a latent engagement and the usual drivers (no contract, a high bill, trouble with the
service, a short tenure); noise keeps the classes overlapping, so a model reaches an AUC of about 0.85, not 1.0.

  python3 examples/retention/make_dataset.py --rows 6000 --seed 11 --out customers.csv

Only Python's standard library, so any python3 runs it. The same seed gives the same file, byte for byte.
"""
import argparse
import csv
import math
import random
import sys

COLUMNS = [
    "tenure_months",
    "plan_tier",
    "monthly_charge",
    "contract_months_left",
    "support_tickets_90d",
    "late_payments_12m",
    "logins_30d",
    "days_since_last_login",
    "churned",
]
# plan_tier is a categorical code: 0 basic, 1 standard, 2 premium.
TIER_SHARES = [0.45, 0.35, 0.20]
TIER_PRICE = [29.0, 55.0, 89.0]


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; the means here are small."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def customer(rng: random.Random) -> list:
    engagement = rng.gauss(0.0, 1.0)
    tenure = min(72, 1 + int(rng.expovariate(1 / 22)))
    tier = rng.choices(range(3), weights=TIER_SHARES)[0]
    charge = max(12.0, TIER_PRICE[tier] + rng.gauss(0, 8) + 0.12 * min(tenure, 36))
    contract_left = 0 if rng.random() < 0.55 else rng.randint(1, 24)
    tickets = poisson(rng, 0.7 * math.exp(-0.35 * engagement) * (1.4 if tier == 0 else 1.0))
    late = poisson(rng, 0.25 + 0.15 * (charge > 80))
    logins = poisson(rng, 14 * math.exp(0.55 * engagement))
    days_since = min(60.0, rng.expovariate(1 / (2.5 * math.exp(-0.8 * engagement))))
    logit = (
        -0.3
        - 0.045 * min(tenure, 48)
        + 0.022 * (charge - 55)
        - (2.2 if contract_left > 0 else 0.0)
        + 0.05 * max(0, 6 - contract_left) * (contract_left > 0)
        + 0.5 * tickets
        + 0.55 * late
        - 0.05 * logins
        + 0.06 * days_since
        + (0.35 * tickets if tier == 2 else 0.0)  # premium customers expect the service to work
        + rng.gauss(0, 0.6)
    )
    churned = 1 if rng.random() < 1 / (1 + math.exp(-logit)) else 0
    return [tenure, tier, f"{charge:.2f}", contract_left, tickets, late, logins, f"{days_since:.1f}", churned]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", default="-", help="CSV file (default: stdout)")
    args = parser.parse_args()
    if args.rows < 100:
        parser.error("--rows must be at least 100")
    rng = random.Random(args.seed)
    out = sys.stdout if args.out == "-" else open(args.out, "w", newline="")
    try:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for _ in range(args.rows):
            writer.writerow(customer(rng))
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
