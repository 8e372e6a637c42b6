"""scikit-learn's own churn probabilities for the rows the retention e2e test sends to the served model.

Run with the Python of the training image's environment (examples/retention/trainer/requirements.txt), so the
estimator is loaded and scored by the scikit-learn the image trains with:

  python retention-parity.py --estimator estimator.joblib --holdout holdout/data.csv --holdout-rows 300

Prints one JSON object: {"rows": [[...], ...], "probabilities": [[p_stays, p_churns], ...], "kinds": {...}}. The rows:
  holdout     the first --holdout-rows rows of the processed holdout split (features in model order, label dropped);
  threshold   for every split of every tree, the feature set to the threshold as float32 and to the float32 values
              just above and below it, on holdout rows in turn: where a float32 graph and scikit-learn's float64
              thresholds could send a row down different branches;
  extreme     each feature at 0, -1, its holdout minimum and maximum, ten times the maximum and 1e6;
              a row of zeros and a row of every feature's maximum.
Every value is a float32 (written as the float64 of that float32), which is what the served graph's input holds,
and what scikit-learn's trees cast their input to before comparing.
"""
import argparse
import csv
import json
import sys

import joblib
import numpy as np


def holdout_rows(path: str, count: int) -> np.ndarray:
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        next(reader)  # header: the features in model order, then the label
        rows = [[float(cell) for cell in row[:-1]] for row in reader]
    if len(rows) < count:
        raise SystemExit(f"{path} has {len(rows)} rows, fewer than --holdout-rows {count}")
    return np.asarray(rows[:count], dtype=np.float64)


def threshold_rows(model, base: np.ndarray) -> list:
    splits = sorted(
        {(int(f), float(t)) for tree in model.estimators_.ravel() for f, t in zip(tree.tree_.feature, tree.tree_.threshold) if f >= 0}
    )
    rows = []
    for feature, threshold in splits:
        at = np.float32(threshold)
        for value in (at, np.nextafter(at, np.float32(np.inf)), np.nextafter(at, np.float32(-np.inf))):
            row = base[len(rows) % len(base)].copy()
            row[feature] = float(value)
            rows.append(row)
    return rows


def extreme_rows(base: np.ndarray) -> list:
    low, high = base.min(axis=0), base.max(axis=0)
    rows = [np.zeros(base.shape[1]), high.copy()]
    for feature in range(base.shape[1]):
        for value in (0.0, -1.0, low[feature], high[feature], 10 * high[feature], 1e6):
            row = base[feature % len(base)].copy()
            row[feature] = value
            rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--estimator", required=True)
    parser.add_argument("--holdout", required=True)
    parser.add_argument("--holdout-rows", type=int, default=300)
    args = parser.parse_args()
    model = joblib.load(args.estimator)
    holdout = holdout_rows(args.holdout, args.holdout_rows)
    groups = {"holdout": list(holdout), "threshold": threshold_rows(model, holdout), "extreme": extreme_rows(holdout)}
    rows = np.asarray([row for group in groups.values() for row in group], dtype=np.float64).astype(np.float32).astype(np.float64)
    probabilities = model.predict_proba(rows)
    json.dump(
        {"rows": rows.tolist(), "probabilities": probabilities.tolist(), "kinds": {kind: len(group) for kind, group in groups.items()}},
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
