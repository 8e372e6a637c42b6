#!/usr/bin/env python3
"""Training entry point of the maintenance team's machine-fault classifier (PyTorch, exported to ONNX).

It follows the platform's container contract (docs/container-contract.md) and nothing else of the platform:
  - started as `train` (SageMaker's convention);
  - reads /opt/ml/input/config/hyperparameters.json (every value a string) and the CSV channels
    /opt/ml/input/data/{train,validation}/ (header row, features in config order, the label last as a class index);
  - writes /opt/ml/model/model.onnx (input "features" [batch, n_features] float32, output "probabilities"
    [batch, n_classes], softmax) and metadata.json;
  - on failure writes one line to /opt/ml/output/failure and exits 1.
The SM_* variables, when set (the local twin sets them; SageMaker's own toolkit does too), override the /opt/ml paths.
With managed spot training the job resumes from /opt/ml/checkpoints/checkpoint.pt after an interruption.
"""
import csv
import hashlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(os.environ.get("SM_ROOT", "/opt/ml"))
CONFIG_DIR = Path(os.environ.get("SM_INPUT_CONFIG_DIR", ROOT / "input" / "config"))
MODEL_DIR = Path(os.environ.get("SM_MODEL_DIR", ROOT / "model"))
OUTPUT_DIR = Path(os.environ.get("SM_OUTPUT_DIR", ROOT / "output"))
OUTPUT_DATA_DIR = Path(os.environ.get("SM_OUTPUT_DATA_DIR", OUTPUT_DIR / "data"))
# SageMaker syncs this directory with CheckpointConfig.S3Uri; it exists only when checkpoints are configured.
CHECKPOINT_DIR = ROOT / "checkpoints"


class ContractError(Exception):
    """The job's inputs do not follow the container contract; the message says what to fix."""


def channel_dir(name: str) -> Path:
    return Path(os.environ.get(f"SM_CHANNEL_{name.upper()}", ROOT / "input" / "data" / name))


def read_hyperparameters() -> dict:
    raw = json.loads((CONFIG_DIR / "hyperparameters.json").read_text())
    if raw.get("task") != "multiclass-classification":
        raise ContractError(f"this trainer fits multiclass-classification models, the team config says {raw.get('task')!r}")
    features = json.loads(raw["features"])
    classes = json.loads(raw["classes"])
    return {
        "label": raw["label"],
        "features": features,
        "classes": classes,
        "epochs": int(raw.get("epochs", 40)),
        "hidden": int(raw.get("hidden", 32)),
        "learning_rate": float(raw.get("learningRate", 0.01)),
        "batch_size": int(raw.get("batchSize", 128)),
        "weight_decay": float(raw.get("weightDecay", 1e-4)),
        "seed": int(raw.get("seed", 0)),
    }


def read_channel(name: str, features: list, label: str, n_classes: int):
    """Every .csv of the channel, in file-name order; returns features (float32), labels (int64) and the bytes' sha256."""
    directory = channel_dir(name)
    files = sorted(p for p in directory.glob("*.csv")) if directory.is_dir() else []
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
    if y.min() < 0 or y.max() >= n_classes:
        raise ContractError(f'channel "{name}": labels must be class indices 0..{n_classes - 1}, found {y.min()}..{y.max()}')
    return np.asarray(xs, dtype=np.float32), y, digest.hexdigest()


class FaultClassifier(nn.Module):
    """A small MLP; the feature scaling lives inside the model, so the served ONNX takes the raw readings."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, hidden: int, n_classes: int):
        super().__init__()
        self.register_buffer("mean", torch.from_numpy(mean))
        self.register_buffer("std", torch.from_numpy(std))
        width = mean.shape[0]
        self.layers = nn.Sequential(
            nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, n_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers((x - self.mean) / self.std)


class WithSoftmax(nn.Module):
    """What is exported: probabilities, not logits (the platform checks that each row sums to 1)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(x), dim=1)


def macro_f1(y: np.ndarray, predicted: np.ndarray, n_classes: int) -> float:
    scores = []
    for k in range(n_classes):
        tp = int(np.sum((predicted == k) & (y == k)))
        denominator = int(np.sum(predicted == k) + np.sum(y == k))
        scores.append(0.0 if denominator == 0 else 2 * tp / denominator)
    return float(np.mean(scores))


def scores(model: nn.Module, x: np.ndarray, y: np.ndarray, n_classes: int) -> dict:
    with torch.no_grad():
        predicted = model(torch.from_numpy(x)).argmax(dim=1).numpy()
    return {"accuracy": float(np.mean(predicted == y)), "macroF1": macro_f1(y, predicted, n_classes)}


def first_host() -> bool:
    """With several instances only the first host trains and writes the model (the contract's rule)."""
    config = CONFIG_DIR / "resourceconfig.json"
    if not config.exists():
        return True
    resources = json.loads(config.read_text())
    return resources["current_host"] == sorted(resources["hosts"])[0]


def train() -> dict:
    hp = read_hyperparameters()
    n_classes = len(hp["classes"])
    x_train, y_train, train_sha256 = read_channel("train", hp["features"], hp["label"], n_classes)
    x_valid, y_valid, _ = read_channel("validation", hp["features"], hp["label"], n_classes)
    torch.manual_seed(hp["seed"])
    std = x_train.std(axis=0)
    model = FaultClassifier(x_train.mean(axis=0), np.where(std > 0, std, 1.0).astype(np.float32), hp["hidden"], n_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=hp["learning_rate"], weight_decay=hp["weight_decay"])
    loss_of = nn.CrossEntropyLoss()
    start_epoch = 0
    checkpoint = CHECKPOINT_DIR / "checkpoint.pt"
    if checkpoint.exists():
        state = torch.load(checkpoint)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch = state["epoch"] + 1
        print(f"resuming from {checkpoint} at epoch {start_epoch}", flush=True)
    generator = torch.Generator().manual_seed(hp["seed"])
    x, y = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for epoch in range(hp["epochs"]):
        order = torch.randperm(len(y), generator=generator)  # drawn every epoch, so a resumed run shuffles the same way
        if epoch < start_epoch:
            continue
        model.train()
        total = 0.0
        for i in range(0, len(y), hp["batch_size"]):
            batch = order[i : i + hp["batch_size"]]
            optimizer.zero_grad()
            loss = loss_of(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            total += float(loss) * len(batch)
        model.eval()
        if epoch % 10 == 9 or epoch == hp["epochs"] - 1:
            valid = scores(model, x_valid, y_valid, n_classes)
            print(f"epoch {epoch + 1}/{hp['epochs']} loss {total / len(y):.4f} validation accuracy {valid['accuracy']:.4f}", flush=True)
        if CHECKPOINT_DIR.is_dir():
            torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict()}, checkpoint)
    model.eval()

    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        WithSoftmax(model),
        torch.zeros(1, x_train.shape[1]),
        str(MODEL_DIR / "model.onnx"),
        input_names=["features"],
        output_names=["probabilities"],
        dynamic_axes={"features": {0: "batch"}, "probabilities": {0: "batch"}},
        opset_version=13,
    )
    metrics = {"train": scores(model, x_train, y_train, n_classes), "validation": scores(model, x_valid, y_valid, n_classes)}
    metadata = {
        "inputName": "features",
        "features": hp["features"],
        "task": "multiclass-classification",
        "labels": hp["classes"],
        "outputName": "probabilities",
        "algorithm": "pytorch-mlp",
        "framework": f"pytorch {torch.__version__}",
        "hyperparameters": {k: hp[k] for k in ("epochs", "hidden", "learning_rate", "batch_size", "weight_decay", "seed")},
        "metrics": metrics,
        "trainingDataSha256": train_sha256,
    }
    (MODEL_DIR / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
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
        OUTPUT_DATA_DIR.mkdir(parents=True, exist_ok=True)
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
