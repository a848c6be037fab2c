"""Convolution and pooling fixtures (issue 10): conv1d, conv2d, conv_transpose2d,
max_pool2d, avg_pool2d, adaptive_avg_pool2d.

Called from generate.py's main with generate.py's globals, whose `torch_op` it extends
with these ops (OpFile looks `torch_op` up there), so the cases are built, rounded,
seeded and written exactly as every other op's.
"""

import numpy as np
import torch.nn.functional as F

CONV_OPS = ("conv1d", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d")


def _conv_padding(p):
    return tuple(p) if isinstance(p, list) else p


def conv_torch_op(op, a, xs):
    """The wire op `op` in torch, for the ops of this module."""
    x, rest = xs[0], xs[1:]
    if op in ("conv1d", "conv2d"):
        fn = F.conv1d if op == "conv1d" else F.conv2d
        return fn(x, rest[0], rest[1] if len(rest) > 1 else None, stride=_conv_padding(a.get("stride", 1)),
                  padding=_conv_padding(a.get("padding", 0)), dilation=_conv_padding(a.get("dilation", 1)),
                  groups=a.get("groups", 1))
    if op == "conv_transpose2d":
        return F.conv_transpose2d(x, rest[0], rest[1] if len(rest) > 1 else None,
                                  stride=_conv_padding(a.get("stride", 1)), padding=_conv_padding(a.get("padding", 0)),
                                  output_padding=_conv_padding(a.get("output_padding", 0)),
                                  groups=a.get("groups", 1), dilation=_conv_padding(a.get("dilation", 1)))
    if op == "max_pool2d":
        k = _conv_padding(a["kernel_size"])
        stride = a.get("stride")
        return F.max_pool2d(x, k, stride=_conv_padding(stride) if stride is not None else None,
                            padding=_conv_padding(a.get("padding", 0)), dilation=_conv_padding(a.get("dilation", 1)),
                            ceil_mode=a.get("ceil_mode", False))
    if op == "avg_pool2d":
        k = _conv_padding(a["kernel_size"])
        stride = a.get("stride")
        return F.avg_pool2d(x, k, stride=_conv_padding(stride) if stride is not None else None,
                            padding=_conv_padding(a.get("padding", 0)), ceil_mode=a.get("ceil_mode", False),
                            count_include_pad=a.get("count_include_pad", True))
    if op == "adaptive_avg_pool2d":
        return F.adaptive_avg_pool2d(x, _conv_padding(a["output_size"]))
    raise ValueError(op)


def conv_cases(g):
    OpFile, rng_for, normal = g["OpFile"], g["rng_for"], g["normal"]

    def conv(f, label, x, w, bias=True, **attrs):
        r = rng_for(f"{f.op}/{label}")
        inputs = {"x": normal(r, x), "weight": normal(r, w, 0.5)}
        if bias:
            out = w[1] * attrs.get("groups", 1) if f.op == "conv_transpose2d" else w[0]
            inputs["bias"] = normal(r, (out,))
        f.case(label, inputs, attrs)

    c1 = OpFile("conv1d")
    conv(c1, "basic", (2, 3, 7), (4, 3, 3))
    conv(c1, "no_bias", (2, 3, 7), (4, 3, 3), bias=False)
    conv(c1, "stride2_pad1", (2, 2, 8), (3, 2, 3), stride=2, padding=1)
    conv(c1, "dilation2_list_pad", (1, 2, 9), (2, 2, 3), dilation=2, padding=[2])
    conv(c1, "groups2", (2, 4, 6), (6, 2, 3), groups=2)
    conv(c1, "same_even_kernel", (2, 2, 7), (3, 2, 4), padding="same")
    conv(c1, "same_dilated", (1, 2, 6), (2, 2, 3), padding="same", dilation=2)
    conv(c1, "valid", (1, 2, 5), (2, 2, 2), padding="valid")
    conv(c1, "kernel_is_input", (2, 3, 4), (2, 3, 4))
    conv(c1, "unbatched", (3, 6), (2, 3, 2))

    c2 = OpFile("conv2d")
    conv(c2, "basic", (2, 3, 5, 5), (4, 3, 3, 3))
    conv(c2, "no_bias", (1, 2, 4, 5), (3, 2, 2, 3), bias=False)
    conv(c2, "stride2_pad1", (2, 2, 6, 7), (3, 2, 3, 3), stride=2, padding=1)
    conv(c2, "per_axis_stride_pad_dilation", (1, 2, 7, 8), (2, 2, 3, 2), stride=[2, 1], padding=[1, 2], dilation=[1, 2])
    conv(c2, "dilation2", (1, 2, 7, 7), (2, 2, 3, 3), dilation=2, padding=2)
    conv(c2, "groups2", (2, 4, 5, 5), (6, 2, 3, 3), groups=2, padding=1)
    conv(c2, "depthwise", (1, 3, 5, 4), (3, 1, 3, 3), groups=3)
    conv(c2, "same_even_kernel", (2, 2, 5, 6), (3, 2, 2, 4), padding="same")
    conv(c2, "same_dilated", (1, 2, 6, 5), (2, 2, 3, 2), padding="same", dilation=[2, 3])
    conv(c2, "valid", (1, 2, 4, 4), (2, 2, 3, 3), padding="valid")
    conv(c2, "one_by_one", (2, 3, 3, 4), (5, 3, 1, 1))
    conv(c2, "kernel_is_input", (2, 2, 3, 4), (3, 2, 3, 4))
    conv(c2, "stride_larger_than_kernel", (1, 1, 7, 7), (2, 1, 2, 2), stride=3)
    conv(c2, "unbatched", (2, 4, 4), (3, 2, 2, 2), padding=1)

    ct = OpFile("conv_transpose2d")
    conv(ct, "basic", (2, 3, 3, 4), (3, 2, 3, 3))
    conv(ct, "no_bias", (1, 2, 3, 3), (2, 3, 2, 2), bias=False)
    conv(ct, "stride2_pad1", (2, 2, 3, 3), (2, 3, 3, 3), stride=2, padding=1)
    conv(ct, "output_padding", (1, 2, 3, 4), (2, 2, 3, 3), stride=2, padding=1, output_padding=1)
    conv(ct, "output_padding_below_dilation", (1, 2, 3, 3), (2, 1, 2, 2), stride=1, dilation=2, output_padding=1)
    conv(ct, "per_axis", (1, 2, 3, 4), (2, 2, 2, 3), stride=[2, 1], padding=[0, 1], dilation=[1, 2], output_padding=[1, 0])
    conv(ct, "groups2", (2, 4, 3, 3), (4, 3, 2, 2), groups=2, stride=2)
    conv(ct, "one_by_one", (2, 3, 2, 3), (3, 4, 1, 1))
    conv(ct, "unbatched", (2, 3, 3), (2, 2, 2, 2), stride=2)

    def pool(f, label, shape, **attrs):
        f.case(label, {"x": normal(rng_for(f"{f.op}/{label}"), shape)}, attrs)

    mp = OpFile("max_pool2d")
    pool(mp, "k2", (2, 3, 4, 4), kernel_size=2)
    pool(mp, "k3_s1", (1, 2, 5, 5), kernel_size=3, stride=1)
    pool(mp, "k3_s2_pad1", (2, 2, 6, 7), kernel_size=3, stride=2, padding=1)
    pool(mp, "per_axis", (1, 2, 6, 7), kernel_size=[2, 3], stride=[2, 1], padding=[1, 1])
    pool(mp, "dilation2", (1, 2, 7, 7), kernel_size=2, stride=1, dilation=2)
    pool(mp, "ceil_mode", (1, 2, 5, 5), kernel_size=2, ceil_mode=True)
    pool(mp, "ceil_mode_pad", (1, 1, 6, 6), kernel_size=3, stride=2, padding=1, ceil_mode=True)
    pool(mp, "stride_null", (1, 1, 4, 6), kernel_size=[2, 3], stride=None)
    pool(mp, "kernel_is_input", (2, 2, 3, 3), kernel_size=3)
    pool(mp, "unbatched", (2, 4, 4), kernel_size=2)
    ties = np.array([[[[1.0, 1.0, 0.5, 2.0], [1.0, 0.0, 2.0, 2.0], [3.0, 3.0, -1.0, -1.0], [3.0, 3.0, -1.0, -1.0]]]])
    mp.case("ties_first_max", {"x": ties}, {"kernel_size": 2})
    mp.case("ties_overlapping", {"x": ties}, {"kernel_size": 2, "stride": 1})

    ap = OpFile("avg_pool2d")
    pool(ap, "k2", (2, 3, 4, 4), kernel_size=2)
    pool(ap, "k3_s2_pad1", (1, 2, 6, 7), kernel_size=3, stride=2, padding=1)
    pool(ap, "k3_s2_pad1_exclude_pad", (1, 2, 6, 7), kernel_size=3, stride=2, padding=1, count_include_pad=False)
    pool(ap, "ceil_mode", (1, 2, 5, 5), kernel_size=2, ceil_mode=True)
    pool(ap, "ceil_mode_pad", (1, 1, 6, 6), kernel_size=3, stride=2, padding=1, ceil_mode=True)
    pool(ap, "ceil_mode_pad_exclude_pad", (1, 1, 6, 6), kernel_size=3, stride=2, padding=1, ceil_mode=True,
         count_include_pad=False)
    pool(ap, "per_axis", (1, 2, 5, 7), kernel_size=[2, 3], stride=[1, 2], padding=[1, 0])
    pool(ap, "kernel_is_input", (2, 2, 3, 3), kernel_size=3)
    pool(ap, "unbatched", (2, 4, 4), kernel_size=2, stride=1)

    aa = OpFile("adaptive_avg_pool2d")
    pool(aa, "divisible", (2, 3, 4, 6), output_size=[2, 3])
    pool(aa, "overlapping", (1, 2, 5, 7), output_size=[3, 4])
    pool(aa, "global", (2, 3, 3, 5), output_size=1)
    pool(aa, "upsample", (1, 1, 2, 3), output_size=[4, 5])
    pool(aa, "unbatched", (2, 5, 5), output_size=2)
    return [c1, c2, ct, mp, ap, aa]


def families(g):
    """Extends generate.py's torch_op (in its globals `g`) with these ops; returns the
    family function for its list."""
    base = g["torch_op"]

    def torch_op(op, attrs, xs):
        return conv_torch_op(op, attrs, xs) if op in CONV_OPS else base(op, attrs, xs)

    g["torch_op"] = torch_op
    return [lambda: conv_cases(g)]
