#!/usr/bin/env python3
"""Developer-side generator of smirnov.json (the test reads the JSON; it never runs python).

    python3 test/lambdas/drift/statistics/make_smirnov_reference.py

scipy.special.smirnov(n, x) on a grid that exercises the long lower sums of lambdas/drift/statistics/smirnov.ts
(n from 1,000 to 1,000,000, p from ~1 down to the subnormal range, x up to 1 - 1/n), plus the other branches.
"""
import json
import math
import pathlib

import numpy as np
import scipy
from scipy import special

cases = []
rng = np.random.default_rng(20260302)
for n in [150, 999, 1000, 1001, 4096, 10_000, 33_333, 100_000, 250_000, 500_000, 999_999, 1_000_000]:
    # x by target n x^2 (p ~ exp(-2 n x^2)), from the bulk to beyond the subnormal range
    for nx2 in [0.01, 0.1, 0.3, 0.5, 1, 2, 3, 5, 8, 13, 21, 50, 100, 200, 300, 330, 333, 340, 360, 369, 375]:
        x = math.sqrt(nx2 / n)
        if x < 1:
            cases.append((n, x))
    # random x, and x on and next to the lattice k/n
    for x in rng.uniform(1 / n, min(1.0, math.sqrt(400 / n)), 8):
        cases.append((n, float(x)))
    for k in [2, 3, 50, int(math.sqrt(n)), int(math.sqrt(3 * n))]:
        if k < n:
            cases.append((n, k / n))
            cases.append((n, float(np.nextafter(k / n, 1))))
    for x in [0.5, 1 - 2 / n, 1 - 1 / n]:
        cases.append((n, x))

out = [{"n": n, "x": x, "sf": float(special.smirnov(n, x))} for n, x in cases]
path = pathlib.Path(__file__).with_name("smirnov.json")
path.write_text(json.dumps({"scipy": scipy.__version__, "cases": out}) + "\n")
print(f"wrote {len(out)} cases to {path}")
