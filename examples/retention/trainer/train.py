#!/usr/bin/env python3
"""Training entry point of the retention team's churn classifier (scikit-learn gradient boosting, exported to ONNX).

It follows the platform's container contract (docs/container-contract.md) and nothing else of the platform:
  - started as `train` (SageMaker's convention);
  - reads /opt/ml/input/config/hyperparameters.json (every value a string) and the CSV channels
    /opt/ml/input/data/{train,validation}/ (header row, features in config order, the label last as 0 or 1);
  - writes /opt/ml/model/model.onnx (input "features" [batch, n_features] float32, output "probabilities"
    [batch, 2]: P(stays), P(churns)) and metadata.json;
  - writes the fitted estimator to /opt/ml/output/data/estimator.joblib (SageMaker uploads that directory as the
    job's output.tar.gz, beside model.tar.gz): the served artifact holds only the ONNX graph, never a pickle, and the
    estimator is there for the team to compare scikit-learn's own predictions with the served ones;
  - on failure writes one line to /opt/ml/output/failure and exits 1.
The SM_* variables, when set (the local twin sets them; SageMaker's own toolkit does too), override the /opt/ml paths.
Every package comes from requirements.txt, pinned, so the same data and hyperparameters give the same model.onnx,
byte for byte.
"""
import csv
import hashlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

import joblib
import numpy as np
import sklearn
import skl2onnx
from onnx.helper import make_opsetid
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

ROOT = Path(os.environ.get("SM_ROOT", "/opt/ml"))
CONFIG_DIR = Path(os.environ.get("SM_INPUT_CONFIG_DIR", ROOT / "input" / "config"))
MODEL_DIR = Path(os.environ.get("SM_MODEL_DIR", ROOT / "model"))
OUTPUT_DIR = Path(os.environ.get("SM_OUTPUT_DIR", ROOT / "output"))
OUTPUT_DATA_DIR = Path(os.environ.get("SM_OUTPUT_DATA_DIR", OUTPUT_DIR / "data"))
ESTIMATOR_FILE = "estimator.joblib"
# Fixed, so a newer skl2onnx default cannot change the graph; with ai.onnx.ml at most 3 the trees are a
# TreeEnsembleClassifier, which every onnxruntime the platform serves with runs.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


class ContractError(Exception):
    """The job's inputs do not follow the container contract; the message says what to fix."""


def channel_dir(name: str) -> Path:
    return Path(os.environ.get(f"SM_CHANNEL_{name.upper()}", ROOT / "input" / "data" / name))


def read_hyperparameters() -> dict:
    raw = json.loads((CONFIG_DIR / "hyperparameters.json").read_text())
    if raw.get("task") != "binary-classification":
        raise ContractError(f"this trainer fits binary-classification models, the team config says {raw.get('task')!r}")
    return {
        "label": raw["label"],
        "features": json.loads(raw["features"]),
        "n_estimators": int(raw.get("nEstimators", 150)),
        "max_depth": int(raw.get("maxDepth", 3)),
        "learning_rate": float(raw.get("learningRate", 0.1)),
        "subsample": float(raw.get("subsample", 1.0)),
        "min_samples_leaf": int(raw.get("minSamplesLeaf", 1)),
        "seed": int(raw.get("seed", 0)),
    }


def read_channel(name: str, features: list, label: str):
    """Every .csv of the channel, in file-name order; returns features (float64), labels (0/1) and the bytes' sha256."""
    directory = channel_dir(name)
    files = sorted(directory.glob("*.csv")) if directory.is_dir() else []
    if not files:
        raise ContractError(f'channel "{name}" has no .csv files in {directory}')
    digest = hashlib.sha256()
    xs, ys = [], []
    names = [f["name"] for f in features]
    for path in files:
        data = path.read_bytes()
        digest.update(data)
        reader = csv.reader(data.decode("utf-8").splitlines())
        header = next(reader)
        missing = [c for c in names + [label] if c not in header]
        if missing:
            raise ContractError(f'channel "{name}" file {path.name} lacks the columns {", ".join(missing)}')
        columns = [header.index(c) for c in names]
        label_column = header.index(label)
        for row in reader:
            xs.append([float(row[c]) for c in columns])
            ys.append(int(float(row[label_column])))
    y = np.asarray(ys, dtype=np.int64)
    if not set(np.unique(y)) <= {0, 1}:
        raise ContractError(f'channel "{name}": a binary label is 0 or 1, found {sorted(set(np.unique(y)))}')
    return np.asarray(xs, dtype=np.float64), y, digest.hexdigest()


def scores(model: GradientBoostingClassifier, x: np.ndarray, y: np.ndarray) -> dict:
    """The platform's binary metrics (contracts/team-config.ts CLASSIFICATION_METRICS) on one split (both classes in it:
    the processing job guarantees that for train and validation)."""
    probability = model.predict_proba(x)[:, 1]
    predicted = (probability > 0.5).astype(np.int64)
    return {
        "auc": float(roc_auc_score(y, probability)),
        "accuracy": float(accuracy_score(y, predicted)),
        "f1": float(f1_score(y, predicted, zero_division=0)),
        "logLoss": float(log_loss(y, probability, labels=[0, 1])),
    }


def export_onnx(model: GradientBoostingClassifier, width: int) -> bytes:
    """The graph the platform serves: without ZipMap, its "probabilities" output is a [batch, 2] float tensor."""
    onnx_model = to_onnx(
        model,
        initial_types=[("features", FloatTensorType([None, width]))],
        options={id(model): {"zipmap": False}},
        target_opset=TARGET_OPSET,
    )
    outputs = [o.name for o in onnx_model.graph.output]
    if "probabilities" not in outputs:
        raise RuntimeError(f'skl2onnx wrote the outputs {outputs}, without the "probabilities" tensor metadata.json names')
    # skl2onnx lists the opset imports in the order of a Python set, which changes with the process's hash seed; sorted,
    # the same estimator always gives the same bytes.
    imports = sorted((o.domain, o.version) for o in onnx_model.opset_import)
    del onnx_model.opset_import[:]
    onnx_model.opset_import.extend(make_opsetid(domain, version) for domain, version in imports)
    return onnx_model.SerializeToString()


def first_host() -> bool:
    """With several instances only the first host trains and writes the model (the contract's rule)."""
    config = CONFIG_DIR / "resourceconfig.json"
    if not config.exists():
        return True
    resources = json.loads(config.read_text())
    return resources["current_host"] == sorted(resources["hosts"])[0]


def train() -> dict:
    hp = read_hyperparameters()
    x_train, y_train, train_sha256 = read_channel("train", hp["features"], hp["label"])
    x_valid, y_valid, _ = read_channel("validation", hp["features"], hp["label"])
    if len(set(y_train)) < 2:
        raise ContractError('channel "train" holds one class only; a churn model needs customers who stayed and who left')
    model = GradientBoostingClassifier(
        n_estimators=hp["n_estimators"],
        max_depth=hp["max_depth"],
        learning_rate=hp["learning_rate"],
        subsample=hp["subsample"],
        min_samples_leaf=hp["min_samples_leaf"],
        random_state=hp["seed"],
    )
    model.fit(x_train, y_train)
    metrics = {"train": scores(model, x_train, y_train), "validation": scores(model, x_valid, y_valid)}
    print(f"validation auc {metrics['validation']['auc']:.4f} accuracy {metrics['validation']['accuracy']:.4f}", flush=True)

    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    (MODEL_DIR / "model.onnx").write_bytes(export_onnx(model, x_train.shape[1]))
    metadata = {
        "inputName": "features",
        "features": hp["features"],
        "task": "binary-classification",
        # The probability columns follow model.classes_, the label values 0 (stays) and 1 (churns).
        "labels": [int(c) for c in model.classes_],
        "outputName": "probabilities",
        "algorithm": "sklearn-gradient-boosting",
        "framework": f"scikit-learn {sklearn.__version__} (skl2onnx {skl2onnx.__version__})",
        "hyperparameters": {k: hp[k] for k in ("n_estimators", "max_depth", "learning_rate", "subsample", "min_samples_leaf", "seed")},
        "metrics": metrics,
        "trainingDataSha256": train_sha256,
    }
    (MODEL_DIR / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    OUTPUT_DATA_DIR.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, OUTPUT_DATA_DIR / ESTIMATOR_FILE)
    return {"trainRows": int(len(y_train)), "validationRows": int(len(y_valid)), "metrics": metrics}


def main(argv: list) -> int:
    if argv and argv != ["train"]:
        print(f"usage: train (the SageMaker training convention); got: {' '.join(argv)}", file=sys.stderr)
        return 2
    started = time.time()
    try:
        if not first_host():
            print("not the first host: this trainer trains on the first host only", flush=True)
            return 0
        report = train()
        report["trainingSeconds"] = round(time.time() - started, 3)
        (OUTPUT_DATA_DIR / "training-report.json").write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report), flush=True)
        return 0
    except Exception as error:  # the failure file is the job's FailureReason: one line a data scientist can act on
        traceback.print_exc()
        reason = f"{type(error).__name__}: {error}".replace("\n", " ")
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        (OUTPUT_DIR / "failure").write_text(reason)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
