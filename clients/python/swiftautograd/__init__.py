"""Python client of the SwiftAutograd HTTP API.

>>> client = Client("http://127.0.0.1:8080")          # doctest: +SKIP
>>> client.backward(graph).gradients["W"]              # doctest: +SKIP

A graph is the wire format's dict (docs/wire-format.md); numpy arrays may stand for a
tensor or its ``data`` and are sent as base64 in the request's dtype. Answers come back
as :class:`Result` with numpy arrays; errors raise :class:`ProblemError`.
"""

from ._client import Client, Graph, Result, __version__
from ._errors import PROBLEM_TYPE_BASE, ProblemError
from ._tensors import decode_tensor, encode_array, encode_graph

__all__ = [
    "Client",
    "Graph",
    "PROBLEM_TYPE_BASE",
    "ProblemError",
    "Result",
    "__version__",
    "decode_tensor",
    "encode_array",
    "encode_graph",
]
