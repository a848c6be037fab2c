#!/usr/bin/env python3
"""Writes the ONNX examples (issue 11): the README's MLP exported by torch.onnx.export,
sent as "onnx": {"b64": ...} with a cross_entropy loss added as one more op.

  mlp-backward.json           POST /backward: 5 points, the gradient of every weight
  mlp-backward.response.json  its 200 answer, PyTorch's loss and gradients
  mlp-train.json              POST /train: the same model, 3 Gaussian blobs in 4-D,
                                   100 Adam steps; the answer's "onnx" loads in onnxruntime

Needs torch and onnx (deterministic: fixed seeds). Run: python3 api/examples/onnx/make_example.py
(In a directory of their own: the web page offers every request of api/examples itself.)
ONNXExampleTests replays them over HTTP; tools/onnx_train_check.py runs the trained
model /train answers in onnxruntime.
"""
import base64
import json
import os
import pathlib
import tempfile

import numpy as np
import torch

HERE = pathlib.Path(__file__).parent

torch.manual_seed(0)
with tempfile.TemporaryDirectory() as tmp:
    os.chdir(tmp)
    # The README's three lines.
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    torch.onnx.export(model, (torch.randn(5, 4),), "mlp.onnx", input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}})
    b64 = base64.b64encode(pathlib.Path("mlp.onnx").read_bytes()).decode()


def rounded(a):
    return np.round(np.asarray(a, dtype=np.float64), 4)


def tensor(a):
    return {"shape": list(a.shape), "data": a.tolist()}


# POST /backward: five points and their classes; PyTorch's loss and gradients.
g = np.random.default_rng(11)
x = rounded(g.standard_normal((5, 4)))
target = np.array([2, 0, 1, 2, 1])
backward = {
    "onnx": {"b64": b64},
    "tensors": {"x": {"data": x.tolist()}, "target": {"data": target.tolist()}},
    "ops": [{"id": "loss", "op": "cross_entropy", "inputs": ["logits", "target"]}],
    "loss": "loss",
}
model.zero_grad()
loss = torch.nn.functional.cross_entropy(model(torch.tensor(x, dtype=torch.float32)), torch.tensor(target))
loss.backward()
response = {
    "dtype": "float32",
    "outputs": {"loss": {"shape": [], "data": float(loss.detach())}},
    "gradients": {name: tensor(p.grad.numpy().astype(np.float64)) for name, p in model.named_parameters()},
}

# POST /train: three Gaussian blobs in 4-D (20 points each), 100 Adam steps from the export's weights.
centres = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], dtype=np.float64)
points = rounded(np.concatenate([c + 0.5 * g.standard_normal((20, 4)) for c in centres]))
labels = np.repeat(np.arange(3), 20)
train = {
    "onnx": {"b64": b64},
    "tensors": {"x": {"data": points.tolist()}, "target": {"data": labels.tolist()}},
    "ops": [{"id": "loss", "op": "cross_entropy", "inputs": ["logits", "target"]}],
    "loss": "loss",
    "optimizer": {"name": "adam", "lr": 0.05},
    "steps": 100,
}

for name, value in (("mlp-backward.json", backward), ("mlp-backward.response.json", response), ("mlp-train.json", train)):
    (HERE / name).write_text(json.dumps(value, indent=1) + "\n")
    print(f"wrote api/examples/onnx/{name}")
