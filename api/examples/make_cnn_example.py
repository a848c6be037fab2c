#!/usr/bin/env python3
"""Writes api/examples/cnn-train.json: a LeNet-style CNN trained through POST /train.

The task: 1x12x12 images of stripes, horizontal (class 0) or vertical (class 1), with a
random period (2 to 4 pixels), phase and contrast under Gaussian noise. The network:
conv 1->6 k3 p1, relu, max_pool 2, conv 6->12 k3 p1, relu, max_pool 2, reshape, linear
108->2, cross_entropy; its weights are made by the server (`init`, kaiming_uniform with
the conv weights' fan-in, as torch's nn.Conv2d), so the request carries only data.
Deterministic: numpy's generator with a fixed seed. Tests/AutogradServerTests replays it
and checks the trained network on fresh images it makes itself.
Run: python3 api/examples/make_cnn_example.py
"""
import json
import pathlib

import numpy as np

SIZE = 12


def stripes(rng, label):
    period = int(rng.integers(2, 5))
    phase = float(rng.uniform(0, 2 * np.pi))
    contrast = float(rng.uniform(0.6, 1.2))
    wave = contrast * np.sin(2 * np.pi * np.arange(SIZE) / period + phase)
    image = np.repeat(wave[:, None], SIZE, axis=1) if label == 0 else np.repeat(wave[None, :], SIZE, axis=0)
    return image + 0.3 * rng.standard_normal((SIZE, SIZE))


rng = np.random.default_rng(10)
n = 64
labels = [i % 2 for i in range(n)]
images = np.round(np.stack([stripes(rng, y)[None] for y in labels]), 3)


def init(seed, fan_in):
    return {"name": "kaiming_uniform", "seed": seed, "fan_in": fan_in}


request = {
    "dtype": "float32",
    "tensors": {
        "x": {"shape": [n, 1, SIZE, SIZE], "data": [float(v) for v in images.ravel()]},
        "labels": {"data": labels},
        "conv1_w": {"shape": [6, 1, 3, 3], "init": init(1, 9), "requires_grad": True},
        "conv1_b": {"shape": [6], "init": init(2, 9), "requires_grad": True},
        "conv2_w": {"shape": [12, 6, 3, 3], "init": init(3, 54), "requires_grad": True},
        "conv2_b": {"shape": [12], "init": init(4, 54), "requires_grad": True},
        "fc_w": {"shape": [108, 2], "init": init(5, 108), "requires_grad": True},
        "fc_b": {"shape": [2], "init": init(6, 108), "requires_grad": True},
    },
    "ops": [
        {"id": "c1", "op": "conv2d", "inputs": ["x", "conv1_w", "conv1_b"], "attrs": {"padding": 1}},
        {"id": "r1", "op": "relu", "inputs": ["c1"]},
        {"id": "p1", "op": "max_pool2d", "inputs": ["r1"], "attrs": {"kernel_size": 2}},
        {"id": "c2", "op": "conv2d", "inputs": ["p1", "conv2_w", "conv2_b"], "attrs": {"padding": 1}},
        {"id": "r2", "op": "relu", "inputs": ["c2"]},
        {"id": "p2", "op": "max_pool2d", "inputs": ["r2"], "attrs": {"kernel_size": 2}},
        {"id": "flat", "op": "reshape", "inputs": ["p2"], "attrs": {"shape": [-1, 108]}},
        {"id": "logits", "op": "linear", "inputs": ["flat", "fc_w", "fc_b"]},
        {"id": "loss", "op": "cross_entropy", "inputs": ["logits", "labels"]},
    ],
    "loss": "loss",
    "optimizer": {"name": "adam", "lr": 0.01},
    "steps": 60,
}

out = pathlib.Path(__file__).with_name("cnn-train.json")
# One line per tensor and per op: readable, and small enough to diff.
lines = ["{", f' "dtype": {json.dumps(request["dtype"])},', ' "tensors": {']
lines += [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in request["tensors"].items()]
lines[-1] = lines[-1].rstrip(",")
lines += [" },", ' "ops": [']
lines += [f"  {json.dumps(op)}," for op in request["ops"]]
lines[-1] = lines[-1].rstrip(",")
lines += [" ],"] + [f" {json.dumps(k)}: {json.dumps(request[k])}," for k in ("loss", "optimizer", "steps")]
lines[-1] = lines[-1].rstrip(",")
text = "\n".join(lines + ["}"])
assert json.loads(text) == request
out.write_text(text + "\n")
print(f"wrote {out} ({n} images, {len(text)} bytes)")
