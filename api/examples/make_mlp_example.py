#!/usr/bin/env python3
"""Writes api/examples/mlp-train.json: a two-layer MLP classifier trained through POST /train.

The data set is XOR blobs: four Gaussian clusters at (±1, ±1), labelled by the sign of
x·y, which no linear model separates. Weights are made by the server (`init`), so the
request carries only data. Deterministic: numpy's generator with a fixed seed.
Run: python3 api/examples/make_mlp_example.py
"""
import json
import pathlib

import numpy as np

rng = np.random.default_rng(7)
n_per_cluster = 32
centres = [(1, 1, 0), (-1, -1, 0), (1, -1, 1), (-1, 1, 1)]
points, labels = [], []
for cx, cy, label in centres:
    for _ in range(n_per_cluster):
        points.append([round(float(cx + 0.35 * rng.standard_normal()), 4),
                       round(float(cy + 0.35 * rng.standard_normal()), 4)])
        labels.append(label)

hidden = 16
request = {
    "dtype": "float32",
    "tensors": {
        "x": {"data": points},
        "labels": {"data": labels},
        "W1": {"shape": [2, hidden], "init": {"name": "kaiming_uniform", "seed": 1}, "requires_grad": True},
        "b1": {"shape": [hidden], "init": {"name": "kaiming_uniform", "seed": 2, "fan_in": 2}, "requires_grad": True},
        "W2": {"shape": [hidden, 2], "init": {"name": "kaiming_uniform", "seed": 3}, "requires_grad": True},
        "b2": {"shape": [2], "init": {"name": "kaiming_uniform", "seed": 4, "fan_in": hidden}, "requires_grad": True},
    },
    "ops": [
        {"id": "h", "op": "linear", "inputs": ["x", "W1", "b1"]},
        {"id": "a", "op": "relu", "inputs": ["h"]},
        {"id": "logits", "op": "linear", "inputs": ["a", "W2", "b2"]},
        {"id": "loss", "op": "cross_entropy", "inputs": ["logits", "labels"]},
    ],
    "loss": "loss",
    "optimizer": {"name": "adam", "lr": 0.05},
    "steps": 200,
}

out = pathlib.Path(__file__).with_name("mlp-train.json")
text = json.dumps(request, indent=1)
out.write_text(text + "\n")
print(f"wrote {out} ({len(points)} points, {len(text)} bytes)")
