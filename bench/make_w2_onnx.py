#!/usr/bin/env python3
"""Writes bench/w2_mlp.onnx: W2's MLP (784 -> 512 -> 512 -> 10, float32, batch 128) exported
by torch.onnx.export, for autograd-bench's ONNX row of W2 (issue 11's benchmark).

    python3 bench/make_w2_onnx.py      # needs torch and onnx; deterministic

The export is torch's (the default exporter, dynamo=True, opset 20: a Gemm with transB = 1
per layer, then Relu), with one change so that the committed file stays small (1 KB rather
than 2.7 MB): the six weights are moved out of graph.initializer into graph.input (same
names, dtype and shape). autograd-bench puts them back as initializers at run time, with
W2's own values (MLPData, transposed to nn.Linear's [out, in]), by appending a second
ModelProto.graph field holding only the initializers (protobuf merges it into the first),
so the model it imports is the exported model with W2's weights in it.
"""
import os
import tempfile

import onnx
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "w2_mlp.onnx")


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 512)
        self.fc2 = nn.Linear(512, 512)
        self.fc3 = nn.Linear(512, 10)

    def forward(self, x):
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


def main():
    torch.manual_seed(0)
    model = MLP().eval()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "w2.onnx")
        torch.onnx.export(model, (torch.randn(128, 784),), path, input_names=["x"], output_names=["logits"],
                          dynamo=True, external_data=False, optimize=True)
        m = onnx.load(path)
    g = m.graph
    assert [n.op_type for n in g.node] == ["Gemm", "Relu", "Gemm", "Relu", "Gemm"], [n.op_type for n in g.node]
    assert all(a.i == 1 for n in g.node if n.op_type == "Gemm" for a in n.attribute if a.name == "transB")
    for t in list(g.initializer):
        g.input.append(onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    del g.initializer[:]
    m.producer_name = "bench/make_w2_onnx.py (torch.onnx.export, weights moved to graph inputs)"
    onnx.checker.check_model(m, full_check=True)
    with open(OUT, "wb") as f:
        f.write(m.SerializeToString())
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes): inputs {[i.name for i in g.input]}")


if __name__ == "__main__":
    main()
