"""Tensors on the wire: numpy arrays to and from the API's base64 and JSON forms.

The rules are docs/wire-format.md's: ``b64`` is standard base64 (RFC 4648) of the
values' little-endian IEEE bytes, 4 per float32 element and 8 per float64, row-major;
every tensor of a request has the request's ``dtype`` (``float32`` unless it says
``float64``), so an array of another dtype is converted to it first.
"""

from __future__ import annotations

import base64
import math
from typing import Any, Mapping

import numpy as np

#: The request dtypes and the little-endian numpy dtype each travels as.
WIRE_DTYPES: Mapping[str, str] = {"float32": "<f4", "float64": "<f8"}

_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def wire_dtype(dtype: str) -> np.dtype[Any]:
    """The little-endian numpy dtype of a request dtype (``ValueError`` for any other name)."""
    try:
        return np.dtype(WIRE_DTYPES[dtype])
    except KeyError:
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}") from None


def encode_array(array: np.ndarray, dtype: str) -> dict[str, Any]:
    """``{"shape", "b64"}`` of ``array`` converted to the request's ``dtype``.

    Integer and boolean arrays are converted like ``astype``; complex and non-numeric
    arrays raise ``TypeError`` (the API has no such tensors).
    """
    if array.dtype.kind not in "biuf":
        raise TypeError(f"a tensor must be real numbers; got a numpy array of dtype {array.dtype}")
    values = array.astype(wire_dtype(dtype), copy=False)  # tobytes() is row-major whatever the layout
    return {"shape": list(values.shape), "b64": base64.b64encode(values.tobytes()).decode("ascii")}


def decode_tensor(tensor: Mapping[str, Any], dtype: str) -> np.ndarray:
    """The numpy array of an answer's ``{"shape", "b64"}`` or ``{"shape", "data"}``.

    The array has the answer's dtype in native byte order, the tensor's shape (``()`` for a
    scalar), and owns its memory (it is writable).
    """
    shape = tuple(int(d) for d in tensor["shape"])
    little = wire_dtype(dtype)
    if "b64" in tensor:
        raw = base64.b64decode(tensor["b64"], validate=True)
        if len(raw) != little.itemsize * math.prod(shape):
            raise ValueError(f"{len(raw)} bytes of base64 for shape {list(shape)} of {dtype}")
        values = np.frombuffer(raw, dtype=little).reshape(shape)
    else:
        values = np.array(_numbers(tensor["data"]), dtype=little).reshape(shape)
    return values.astype(little.newbyteorder("="))


def _numbers(data: Any) -> Any:
    """JSON tensor data with the strings "NaN", "Infinity", "-Infinity" made floats."""
    if isinstance(data, list):
        return [_numbers(d) for d in data]
    if isinstance(data, str):
        return _NON_FINITE[data]
    return data


def _is_tensor_object(value: Any) -> bool:
    return isinstance(value, Mapping) and "shape" in value and ("b64" in value or "data" in value)


def decode_tensor_map(value: Any, dtype: str) -> dict[str, np.ndarray] | None:
    """A ``{name: tensor}`` member as ``{name: array}``, or None when ``value`` is not one."""
    if not isinstance(value, Mapping) or not all(_is_tensor_object(t) for t in value.values()):
        return None
    return {name: decode_tensor(t, dtype) for name, t in value.items()}


def encode_graph(graph: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``graph`` ready for ``json.dumps``.

    Every numpy array where a tensor or its ``data`` goes (``tensors[name]``,
    ``tensors[name]["data"]``, ``seed``, ``seed["data"]``, and likewise each entry of
    ``tangents`` (``/jvp``) and ``vectors`` (``/hvp``)) becomes ``{"shape", "b64"}``
    in the graph's dtype; numpy scalars become numbers and non-finite floats the strings
    "NaN", "Infinity" and "-Infinity". The graph itself is not changed.
    """
    dtype = graph.get("dtype") or "float32"
    wire_dtype(dtype)
    out = {key: _plain(value) for key, value in graph.items() if key not in _TENSOR_MAPS + ("seed",)}
    for key in _TENSOR_MAPS:
        if key in graph:
            tensors = graph[key]
            if not isinstance(tensors, Mapping):
                raise TypeError(f"graph[{key!r}] must be a mapping of names to tensors")
            out[key] = {name: _tensor(t, dtype) for name, t in tensors.items()}
    if "seed" in graph:
        out["seed"] = _tensor(graph["seed"], dtype)
    return out


#: The members that map names to tensors: the graph's tensors, ``/jvp``'s and ``/hvp``'s directions.
_TENSOR_MAPS = ("tensors", "tangents", "vectors")


def _tensor(tensor: Any, dtype: str) -> Any:
    if isinstance(tensor, np.ndarray):
        return encode_array(tensor, dtype)
    if isinstance(tensor, Mapping) and isinstance(tensor.get("data"), np.ndarray):
        if "shape" in tensor:
            raise ValueError("give a numpy array without 'shape': the array's shape is sent")
        rest = {k: _plain(v) for k, v in tensor.items() if k != "data"}
        return {**encode_array(tensor["data"], dtype), **rest}
    return _plain(tensor)


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready Python: arrays and numpy scalars to lists and numbers."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value
