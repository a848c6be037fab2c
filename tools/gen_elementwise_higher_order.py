"""Prints the torch reference table of ElementwiseHigherOrderTests.torchDerivatives: the
first, second and third derivatives of each one-input elementwise op at a few points away
from kinks and poles, by torch.autograd.grad with create_graph=True, in float64.

    python3 tools/gen_elementwise_higher_order.py   # torch 2.15.0 made the committed table
"""
import torch

torch.set_default_dtype(torch.float64)
F = torch.nn.functional

# name (as in the Swift table), the function, and whether it needs positive points.
OPS = [
    ("exp", torch.exp, False), ("log", torch.log, True), ("sqrt", torch.sqrt, True),
    ("rsqrt", torch.rsqrt, True), ("log1p", torch.log1p, False), ("expm1", torch.expm1, False),
    ("tanh", torch.tanh, False), ("sigmoid", torch.sigmoid, False), ("softplus", F.softplus, False),
    ("gelu", F.gelu, False), ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), False),
    ("silu", F.silu, False), ("elu", lambda x: F.elu(x, 0.5), False), ("sin", torch.sin, False),
    ("cos", torch.cos, False), ("erf", torch.erf, False), ("square", torch.square, False),
]
POSITIVE = [0.35, 0.8, 1.7, 2.9]
MIXED = [-2.7, -0.9, 0.45, 1.6, 3.3]


def main():
    print(f"    // torch {torch.__version__}: (op, x, f'(x), f''(x), f'''(x))")
    for name, f, positive in OPS:
        xs = POSITIVE if positive else MIXED
        if name == "log1p":
            xs = [-0.6, -0.2, 0.45, 1.6, 3.3]
        x = torch.tensor(xs, requires_grad=True)
        (d1,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
        (d2,) = torch.autograd.grad(d1.sum(), x, create_graph=True)
        (d3,) = torch.autograd.grad(d2.sum(), x)
        rows = [xs] + [d.detach().tolist() for d in (d1, d2, d3)]
        print(f'    ("{name}", ' + ", ".join(repr([float(v) for v in r]) for r in rows) + "),")


if __name__ == "__main__":
    main()
