"""ONNX fixtures (issue 11): small torch modules exported with both exporters, with
PyTorch's loss and gradients and onnxruntime's forward, so that the server's import of
the .onnx file can be checked over HTTP without torch or onnxruntime in CI.

    python3 Tests/Fixtures/gen_onnx.py     # needs torch, onnx, onnxruntime; rewrites Tests/Fixtures/onnx/

For each model M and exporter E (dynamo: torch.onnx.export(dynamo=True); torchscript:
dynamo=False) it writes onnx/M_E.onnx and onnx/M_E.json:
  {"model": "M_E.onnx", "torch_version", "onnx_opset",
   "inputs": {name: {"shape", "data"}}, "target": {"shape", "data"},
   "loss_op": {"op", "attrs"},            # applied to (model output, target)
   "output": name, "ort_output": {"shape", "data"}, "loss": float,
   "gradients": {initializer name: {"shape", "data"}}}
Gradients are listed for every initializer that equals a module parameter (same name and
values); an exporter may fold or rename others, which are then not compared.
"""
import json
import os
import zlib

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx")


def seeded(name):
    return torch.Generator().manual_seed(zlib.crc32(name.encode()))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class CNN(nn.Module):
    """conv-bn-relu-maxpool, conv-relu, linear head (BatchNorm in eval mode)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, stride=2, padding=1)
        self.fc = nn.Linear(4 * 2 * 2, 3)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = torch.relu(self.conv2(x))
        return self.fc(torch.flatten(x, 1))


class PreLNBlock(nn.Module):
    """A pre-LN transformer encoder layer (nn.TransformerEncoderLayer, norm_first,
    batch_first, GELU) with a linear head on the mean over the sequence."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(
            d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, activation="gelu",
            batch_first=True, norm_first=True)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.layer(x).mean(dim=1))


def tensor_json(t):
    a = np.asarray(t, dtype=np.float64)
    return {"shape": list(a.shape), "data": a.reshape(-1).tolist()}


def export(model, name, exporter, args, fold=True):
    path = os.path.join(HERE, f"{name}_{exporter}.onnx")
    kwargs = dict(input_names=["x"], output_names=["logits"])
    if exporter == "dynamo":
        torch.onnx.export(model, args, path, dynamo=True, external_data=False, optimize=True, **kwargs)
    else:
        torch.onnx.export(model, args, path, dynamo=False, opset_version=17, do_constant_folding=fold, **kwargs)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return path, m


def case_mlp(exporter):
    name = "mlp"
    g = seeded(name)
    torch.manual_seed(zlib.crc32(name.encode()))
    case(name, exporter, MLP().eval(), torch.randn(5, 4, generator=g), torch.tensor([0, 2, 1, 2, 0]))


def case_cnn(exporter):
    name = "cnn"
    g = seeded(name)
    torch.manual_seed(zlib.crc32(name.encode()))
    model = CNN()
    # Running statistics that are not the defaults, so BatchNorm's inference form matters.
    with torch.no_grad():
        model.bn1.running_mean.copy_(torch.randn(4, generator=g) * 0.1)
        model.bn1.running_var.copy_(torch.rand(4, generator=g) + 0.5)
        model.bn1.weight.copy_(torch.rand(4, generator=g) + 0.5)
        model.bn1.bias.copy_(torch.randn(4, generator=g) * 0.1)
    # The TorchScript export keeps BatchNormalization (no constant folding); dynamo's
    # optimizer folds it into the convolution.
    case(name, exporter, model.eval(), torch.randn(3, 2, 8, 8, generator=g), torch.tensor([0, 2, 1]), fold=False)


def case_transformer(exporter):
    name = "preln"
    g = seeded(name)
    torch.manual_seed(zlib.crc32(name.encode()))
    model = PreLNBlock()
    # No two parameters equal: LayerNorm's ones and the zero biases would otherwise be
    # one deduplicated initializer serving both layers, whose gradient is the sum.
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.1)
    # Train mode with dropout 0: the math of eval mode without the fused fast path.
    case(name, exporter, model.train(), torch.randn(2, 5, 8, generator=g), torch.tensor([1, 0]))


def case(name, exporter, model, x, target, fold=True):
    path, m = export(model, name, exporter, (x,), fold)
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, target)
    model.zero_grad()
    loss.backward()
    params = dict(model.named_parameters())
    grads = {}
    for init in m.graph.initializer:
        p = params.get(init.name)
        if p is not None and np.array_equal(onnx.numpy_helper.to_array(init), p.detach().numpy()):
            grads[init.name] = tensor_json(p.grad.detach().numpy())
    ort_out = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": x.numpy()})[0]
    opset = next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
    doc = {
        "model": os.path.basename(path), "torch_version": torch.__version__.split("+")[0], "onnx_opset": opset,
        "inputs": {"x": tensor_json(x.numpy())}, "target": tensor_json(target.numpy()),
        "loss_op": {"op": "cross_entropy", "attrs": {}}, "output": "logits",
        "ort_output": tensor_json(ort_out), "loss": float(loss.detach()), "gradients": grads,
    }
    assert grads, "no initializer equals a module parameter"
    with open(os.path.join(HERE, f"{name}_{exporter}.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    for exporter in ("torchscript", "dynamo"):
        case_mlp(exporter)
        case_cnn(exporter)
        case_transformer(exporter)
