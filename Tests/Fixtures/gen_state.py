"""PyTorch fixture for loading weights from safetensors (issue 22): a small trained model
saved by Python's `safetensors` package under the Swift library's state-dict names, with
the predictions PyTorch makes from it.

    python3 Tests/Fixtures/gen_state.py     # needs torch, numpy, safetensors

Also writes state/dtypes.safetensors: one small tensor of each element type the reader
converts (F64, F16, BF16, I32, I16, I8, U8, BOOL), with their values as float64 in
state/dtypes.expected.json.

Writes state/mlp.safetensors (float32; BatchNorm's num_batches_tracked stays int64, as
torch keeps it) and state/mlp.expected.json (the input and PyTorch's evaluation-mode
predictions). Deterministic: fixed seeds, CPU.

The model, torch's and Swift's:
    nn.Sequential(Linear(4, 8), BatchNorm1d(8), ReLU(), LayerNorm(8), Linear(8, 3))
    Sequential<Float>(Linear(inFeatures: 4, outFeatures: 8), BatchNorm(numFeatures: 8), ReLU(),
                      LayerNorm([8]), Linear(inFeatures: 8, outFeatures: 3))
Swift's Linear keeps W as [in, out], the transpose of torch's weight; its names are the
Swift properties' (`0.W`, `1.runningMean`, `3.weight`, `4.b`).
"""

import json
import os

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    torch.manual_seed(22)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
        torch.nn.LayerNorm(8), torch.nn.Linear(8, 3))
    # A few training steps so that every parameter and running statistic is nontrivial.
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    data = torch.randn(64, 4) * 2 + 0.5
    target = torch.randint(0, 3, (64,))
    for step in range(5):
        batch = slice(16 * (step % 4), 16 * (step % 4) + 16)
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(data[batch]), target[batch]).backward()
        optimizer.step()
    model.eval()

    lin1, bn, _, ln, lin2 = model
    state = {
        "0.W": lin1.weight.detach().T.contiguous(), "0.b": lin1.bias.detach(),
        "1.weight": bn.weight.detach(), "1.bias": bn.bias.detach(),
        "1.runningMean": bn.running_mean, "1.runningVar": bn.running_var,
        "1.numBatchesTracked": bn.num_batches_tracked,
        "3.weight": ln.weight.detach(), "3.bias": ln.bias.detach(),
        "4.W": lin2.weight.detach().T.contiguous(), "4.b": lin2.bias.detach(),
    }
    os.makedirs(os.path.join(HERE, "state"), exist_ok=True)
    save_file(state, os.path.join(HERE, "state", "mlp.safetensors"), metadata={"format": "pt"})

    x = torch.randn(5, 4)
    with torch.no_grad():
        y = model(x)
    expected = {
        "torch_version": torch.__version__.split("+")[0],
        "x": {"shape": list(x.shape), "data": [float(v) for v in x.flatten()]},
        "predictions": {"shape": list(y.shape), "data": [float(v) for v in y.flatten()]},
    }
    with open(os.path.join(HERE, "state", "mlp.expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")

    values = [0.5, -1.25, 3.0e-5, 65504.0, -0.0, 7.0]
    dtypes = {
        "f64": torch.tensor(values, dtype=torch.float64),
        "f16": torch.tensor(values, dtype=torch.float16),
        "bf16": torch.tensor(values, dtype=torch.bfloat16),
        "i32": torch.tensor([[-3, 0, 2147483647]], dtype=torch.int32),
        "i16": torch.tensor([-32768, 12], dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
    }
    save_file(dtypes, os.path.join(HERE, "state", "dtypes.safetensors"))
    with open(os.path.join(HERE, "state", "dtypes.expected.json"), "w") as f:
        json.dump({k: {"shape": list(v.shape), "data": [float(e) for e in v.flatten().double()]}
                   for k, v in sorted(dtypes.items())}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
