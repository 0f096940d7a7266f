#!/usr/bin/env python3
"""House-price regression MLP in PyTorch, run by Rudder's `command` trainer (docs/trainers.md).

Rudder writes the training set and params.json, sets RUDDER_* variables, and runs
`python3 train.py`. This script reads the CSV copies of the train and holdout rows (Debian's
python3-torch has no Parquet reader; the Parquet files are there for programs that do), fits
the preprocessing on the training rows only, trains an MLP, and writes:
  $RUDDER_ARTIFACT_DIR/model.pt            the network's state_dict
  $RUDDER_ARTIFACT_DIR/preprocessing.json  scaling, one-hot vocabularies, feature list
  $RUDDER_ARTIFACT_DIR/model.onnx          for `rudder serve`: raw features in, price out
  $RUDDER_ARTIFACT_DIR/rudder-onnx.json    the serving contract: input name, feature columns
  $RUDDER_METRICS                          holdout metrics (label units): rmse, mae, r2, mape
In evaluate mode (RUDDER_MODE=evaluate) it loads a stored artifact from $RUDDER_ARTIFACT_DIR
and only scores the holdout, so a champion is compared on the candidate's holdout.

Hyper-parameters come from the Model's spec.trainer.params: hidden, epochs, lr, batch_size,
weight_decay. Runs on CUDA when available, else on CPU (apt-get install python3-torch).
"""
import csv
import json
import math
import os
import random
import sys
import time
from datetime import datetime

import torch

NUMERIC = {"int", "float", "bool", "timestamp"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def parse_value(raw, ftype):
    if raw is None or raw == "":
        return None
    if ftype == "bool":
        return 1.0 if raw.lower() in ("true", "1", "t") else 0.0
    if ftype == "timestamp":
        return datetime.fromisoformat(raw.replace(" ", "T").replace("+00", "+00:00") if raw.endswith("+00") else raw).timestamp()
    if ftype in NUMERIC:
        return float(raw)
    return raw


def read_rows(path, features):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        xs, ys = [], []
        for row in reader:
            xs.append([parse_value(row[ft["column"]], ft["type"]) for ft in features])
            ys.append(float(row["__label"]))
    return xs, ys


def fit_preprocessing(xs, ys, features):
    cols = []
    for j, ft in enumerate(features):
        values = [r[j] for r in xs if r[j] is not None]
        if ft["type"] in NUMERIC:
            mean = sum(values) / len(values) if values else 0.0
            var = sum((v - mean) ** 2 for v in values) / len(values) if values else 1.0
            cols.append({"kind": "numeric", "mean": mean, "std": math.sqrt(var) or 1.0, "indicator": len(values) < len(xs)})
        else:
            counts = {}
            for v in values:
                counts[v] = counts.get(v, 0) + 1
            vocab = [v for v, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:256]]
            cols.append({"kind": "category", "vocab": vocab})
    y_mean = sum(ys) / len(ys)
    y_std = math.sqrt(sum((y - y_mean) ** 2 for y in ys) / len(ys)) or 1.0
    return {"features": features, "columns": cols, "y_mean": y_mean, "y_std": y_std}


def encode(xs, pre):
    out = []
    for r in xs:
        vec = []
        for j, c in enumerate(pre["columns"]):
            v = r[j]
            if c["kind"] == "numeric":
                vec.append(0.0 if v is None else (v - c["mean"]) / c["std"])
                if c["indicator"]:
                    vec.append(1.0 if v is None else 0.0)
            else:
                onehot = [0.0] * (len(c["vocab"]) + 1)  # last slot: unseen or missing
                onehot[c["vocab"].index(v) if v in c["vocab"] else len(c["vocab"])] = 1.0
                vec.extend(onehot)
        out.append(vec)
    return torch.tensor(out, dtype=torch.float32)


def build(n_in, hidden):
    layers, width = [], n_in
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    layers.append(torch.nn.Linear(width, 1))
    return torch.nn.Sequential(*layers)


class Serve(torch.nn.Module):
    """What `rudder serve` runs (docs/trainers.md, "Serving: model.onnx"): one float32 input
    [batch, width] as Rudder builds it from a request — each numeric feature's raw value (NaN when
    missing), each category as a one-hot block with a last slot for unseen or missing values — and
    the price in euros out. Scaling, imputation and the missing indicators happen in the graph,
    exactly as encode() does for training."""

    def __init__(self, model, pre):
        super().__init__()
        self.model = model
        self.columns = pre["columns"]
        self.y_mean = float(pre["y_mean"])
        self.y_std = float(pre["y_std"])

    def forward(self, x):
        parts, pos = [], 0
        for c in self.columns:
            if c["kind"] == "numeric":
                v = x[:, pos : pos + 1]
                missing = torch.isnan(v)
                parts.append(torch.where(missing, torch.zeros_like(v), (v - c["mean"]) / c["std"]))
                if c["indicator"]:
                    parts.append(missing.to(x.dtype))
                pos += 1
            else:
                width = len(c["vocab"]) + 1
                parts.append(x[:, pos : pos + width])
                pos += width
        return self.model(torch.cat(parts, dim=1)) * self.y_std + self.y_mean


def export_onnx(model, pre, features, artifact_dir):
    """torch.onnx.export of Serve, with a dynamic batch, and the manifest Rudder reads."""
    width = sum(1 if c["kind"] == "numeric" else len(c["vocab"]) + 1 for c in pre["columns"])
    serve = Serve(model.cpu().eval(), pre).eval()
    kwargs = dict(
        input_names=["features"],
        output_names=["price"],
        dynamic_axes={"features": {0: "batch"}, "price": {0: "batch"}},
        opset_version=17,
    )
    path = os.path.join(artifact_dir, "model.onnx")
    try:
        torch.onnx.export(serve, torch.zeros(1, width), path, dynamo=False, **kwargs)
    except TypeError:  # PyTorch before 2.5 has no dynamo switch; its exporter is the TorchScript one
        torch.onnx.export(serve, torch.zeros(1, width), path, **kwargs)
    columns = []
    for ft, c in zip(features, pre["columns"]):
        col = {"ref": ft["ref"], "type": ft["type"]}
        if c["kind"] == "category":
            col["vocab"] = [str(v) for v in c["vocab"]]
        columns.append(col)
    manifest = {"format": "rudder.onnx", "version": 1, "input": "features", "output": "price", "columns": columns}
    with open(os.path.join(artifact_dir, "rudder-onnx.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)


def metrics(y, p):
    n = len(y)
    mean = sum(y) / n
    se = sum((a - b) ** 2 for a, b in zip(y, p))
    ss = sum((a - mean) ** 2 for a in y)
    return {
        "rmse": math.sqrt(se / n),
        "mae": sum(abs(a - b) for a, b in zip(y, p)) / n,
        "r2": 1 - se / ss if ss > 0 else 0.0,
        "mape": sum(abs(a - b) / max(abs(a), 2.220446049250313e-16) for a, b in zip(y, p)) / n,
    }


def main():
    params = json.load(open(os.environ["RUDDER_PARAMS"]))
    hp = params["params"]
    features = params["features"]
    artifact_dir = os.environ["RUDDER_ARTIFACT_DIR"]
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    seed = params["seed"]
    random.seed(seed)
    torch.manual_seed(seed)

    if params["mode"] == "train":
        xs, ys = read_rows(os.environ["RUDDER_TRAIN_CSV"], features)
        pre = fit_preprocessing(xs, ys, features)
        x = encode(xs, pre).to(device)
        y = ((torch.tensor(ys, dtype=torch.float32) - pre["y_mean"]) / pre["y_std"]).unsqueeze(1).to(device)
        hidden = hp.get("hidden", [64, 32])
        model = build(x.shape[1], hidden).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=hp.get("lr", 1e-3), weight_decay=hp.get("weight_decay", 0.0))
        batch, epochs = int(hp.get("batch_size", 256)), int(hp.get("epochs", 40))
        log(f"training {len(ys)} rows, {x.shape[1]} inputs, hidden {hidden}, {epochs} epochs on {device}")
        for epoch in range(epochs):
            t0, total = time.perf_counter(), 0.0
            perm = torch.randperm(len(ys), device=device)
            for i in range(0, len(ys), batch):
                idx = perm[i : i + batch]
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(model(x[idx]), y[idx])
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            log(f"epoch {epoch + 1}/{epochs} loss {total / len(ys):.4f} {len(ys) / (time.perf_counter() - t0):.0f} samples/s")
        pre["hidden"] = hidden
        pre["inputs"] = x.shape[1]
        torch.save(model.state_dict(), os.path.join(artifact_dir, "model.pt"))
        with open(os.path.join(artifact_dir, "preprocessing.json"), "w") as f:
            json.dump(pre, f, indent=1, sort_keys=True)
        model.eval()
        export_onnx(model, pre, features, artifact_dir)
        model.to(device)
    else:
        pre = json.load(open(os.path.join(artifact_dir, "preprocessing.json")))
        stored = [(f["ref"], f["type"]) for f in pre["features"]]
        given = [(f["ref"], f["type"]) for f in features]
        if stored != given:
            log(f"feature schema mismatch: the model was trained on {stored}, the training set has {given}")
            sys.exit(2)
        model = build(pre["inputs"], pre["hidden"]).to(device)
        model.load_state_dict(torch.load(os.path.join(artifact_dir, "model.pt"), map_location=device))

    hx, hy = read_rows(os.environ["RUDDER_HOLDOUT_CSV"], features)
    model.eval()
    with torch.no_grad():
        pred = model(encode(hx, pre).to(device)).squeeze(1).cpu() * pre["y_std"] + pre["y_mean"]
    m = metrics(hy, pred.tolist())
    if not all(math.isfinite(v) for v in m.values()):
        log(f"non-finite metrics: {m}")
        sys.exit(1)
    with open(os.environ["RUDDER_METRICS"], "w") as f:
        json.dump(m, f, indent=1)
    log(f"holdout ({len(hy)} rows): " + ", ".join(f"{k} {v:.4g}" for k, v in m.items()))


if __name__ == "__main__":
    main()
