#!/usr/bin/python3
"""PyTorch side of bench/train.ts: the same MLP on the same rows, on CPU.

    /usr/bin/python3 bench/train_torch.py DATA_DIR ROWS HOLDOUT BATCH EPOCHS

Reads x.f32 / y.f32 written by bench/train.ts, trains Linear(20,64)-ReLU-Linear(64,64)-ReLU-
Linear(64,1) with Adam(1e-3) and BCEWithLogitsLoss, a fresh permutation per epoch, and prints
one JSON line: samples per second and per CPU-second for each epoch, holdout AUC and log loss, torch version and threads.
"""
import json
import sys
import time

import numpy as np
import torch

data_dir, rows, holdout, batch, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
D = 20
x = np.fromfile(f"{data_dir}/x.f32", dtype="<f4").reshape(rows + holdout, D)
y = np.fromfile(f"{data_dir}/y.f32", dtype="<f4")
X, Y = torch.from_numpy(x[:rows].copy()), torch.from_numpy(y[:rows].copy()).unsqueeze(1)
Xh, yh = torch.from_numpy(x[rows:].copy()), y[rows:]

torch.manual_seed(1)
model = torch.nn.Sequential(torch.nn.Linear(D, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.BCEWithLogitsLoss()
rates, cpu_rates = [], []
for epoch in range(epochs):
    t0, c0 = time.perf_counter(), time.process_time()
    perm = torch.randperm(rows)
    for i in range(0, rows, batch):
        idx = perm[i : i + batch]
        opt.zero_grad()
        loss = loss_fn(model(X[idx]), Y[idx])
        loss.backward()
        opt.step()
    rates.append(rows / (time.perf_counter() - t0))
    cpu_rates.append(rows / (time.process_time() - c0))

with torch.no_grad():
    p = torch.sigmoid(model(Xh)).squeeze(1).numpy().astype(np.float64)
# AUC by ranks (ties averaged), log loss clipped like sklearn.
order = np.argsort(p, kind="mergesort")
ranks = np.empty(len(p))
sp = p[order]
i = 0
while i < len(sp):
    j = i
    while j + 1 < len(sp) and sp[j + 1] == sp[i]:
        j += 1
    ranks[order[i : j + 1]] = (i + j) / 2 + 1
    i = j + 1
pos = yh == 1
auc = (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())
eps = np.finfo(np.float64).eps
pc = np.clip(p, eps, 1 - eps)
logloss = float(-np.mean(np.where(pos, np.log(pc), np.log(1 - pc))))
print(json.dumps({"samples_per_second": rates, "samples_per_cpu_second": cpu_rates, "auc": float(auc), "logloss": logloss, "threads": torch.get_num_threads(), "version": torch.__version__}))
