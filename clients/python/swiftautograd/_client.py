"""The HTTP client: a graph dict in, numpy arrays out."""

from __future__ import annotations

import email.utils
import http.client
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from ._errors import ProblemError
from ._tensors import decode_tensor_map, encode_graph, wire_dtype

__version__ = "0.1.0"

#: A graph as the wire format describes it (docs/wire-format.md), with numpy arrays
#: allowed wherever a tensor or its ``data`` goes.
Graph = Mapping[str, Any]


@dataclass(frozen=True)
class Result:
    """A decoded answer of ``/backward``, ``/forward``, ``/train``, ``/jvp`` or ``/hvp``.

    Attributes:
        dtype: ``"float32"`` or ``"float64"``, the dtype of every array here.
        outputs: the requested outputs by name (``/backward``, ``/forward``, ``/jvp``, ``/hvp``).
        gradients: the gradient of the loss for each tensor asked for (``/backward``, ``/hvp``).
        losses: the loss before each step, a 1-d array (``/train``), else None.
        parameters: every ``requires_grad`` tensor after the last step (``/train``).
        tangents: for each output, its Jacobian-vector product J·t (``/jvp``).
        hvp: for each tensor named in ``vectors``, its block of H·v (``/hvp``).
        id: the request id echoed by the server, when the graph had one.
        extra: any other member of the answer, tensor maps decoded as arrays (a route
            added later answers its own members here).
    """

    dtype: str
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    gradients: dict[str, np.ndarray] = field(default_factory=dict)
    losses: np.ndarray | None = None
    parameters: dict[str, np.ndarray] = field(default_factory=dict)
    tangents: dict[str, np.ndarray] = field(default_factory=dict)
    hvp: dict[str, np.ndarray] = field(default_factory=dict)
    id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any]) -> "Result":
        """The result of a JSON answer: tensors (b64 or JSON numbers) become arrays."""
        dtype = str(answer.get("dtype", "float32"))
        little = wire_dtype(dtype)
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in answer.items():
            if key == "dtype":
                continue
            if key == "id":
                known["id"] = value
            elif key == "losses":
                numbers = [{"NaN": np.nan, "Infinity": np.inf, "-Infinity": -np.inf}.get(v, v) for v in value]
                known["losses"] = np.array(numbers, dtype=little.newbyteorder("="))
            else:
                tensors = decode_tensor_map(value, dtype)
                target = known if key in ("outputs", "gradients", "parameters", "tangents", "hvp") else extra
                target[key] = tensors if tensors is not None else value
        return cls(dtype=dtype, extra=extra, **known)


class Client:
    """A client of one SwiftAutograd server (or a load balancer in front of several).

    Each call sends one graph and returns its decoded :class:`Result`; tensors go out
    and come back as base64 (``"encoding": "b64"``), so values travel bit for bit. Error
    answers raise :class:`ProblemError`. A 503 with ``Retry-After`` (the server at
    capacity or shutting down) is retried up to ``retries`` times, waiting what the
    header says, at most ``max_retry_wait`` seconds each time; other errors are not
    retried. Connection failures raise ``OSError`` as ``http.client`` does.

    Args:
        url: the server's base URL, ``http://host:port`` or ``https://...`` (a path prefix
            is kept: ``https://host/autograd`` posts to ``/autograd/backward``).
        api_key: sent as ``Authorization: Bearer <key>`` when the server has one.
        timeout: seconds for connecting and for each read of the answer.
        retries: how many times a 503 with ``Retry-After`` is retried (0: never).
        max_retry_wait: the longest wait, in seconds, between retries, whatever the header says.
    """

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float = 60,
        *,
        retries: int = 3,
        max_retry_wait: float = 30.0,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be http://host[:port] or https://..., got {url!r}")
        if retries < 0 or max_retry_wait < 0:
            raise ValueError("retries and max_retry_wait must not be negative")
        self.url = url
        self.api_key = api_key
        self.timeout = timeout
        self.retries = retries
        self.max_retry_wait = max_retry_wait
        self._parts = parts
        self._prefix = parts.path.rstrip("/")
        #: How the client waits between retries (``time.sleep``; replaceable in tests).
        self.sleep: Callable[[float], None] = time.sleep

    # One line per route: a route added to the server is one more of these.
    def backward(self, graph: Graph) -> Result:
        """``POST /backward``: the graph's outputs and the gradients of its loss."""
        return self._post("/backward", graph)

    def forward(self, graph: Graph) -> Result:
        """``POST /forward``: the graph's outputs, nothing differentiated."""
        return self._post("/forward", graph)

    def train(self, graph: Graph) -> Result:
        """``POST /train``: ``steps`` of ``optimizer``; the losses and final parameters."""
        return self._post("/train", graph)

    def jvp(self, graph: Graph, tangents: Mapping[str, Any] | None = None) -> Result:
        """``POST /jvp``: the graph's outputs and their Jacobian-vector products.

        ``result.tangents[name]`` is J·t for each output (default as ``forward``), with t
        the direction of each tensor named in ``tangents`` (the others' is zero), as
        ``torch.autograd.functional.jvp``. ``tangents`` maps tensor names to arrays (or
        wire tensors) of the tensors' shapes; it may instead be the graph's own
        ``"tangents"`` member, and ``{}`` when neither is given. An unknown name or a
        wrong shape is a 422 at ``/tangents/NAME``.
        """
        return self._post("/jvp", _with_directions(graph, "tangents", tangents))

    def hvp(self, graph: Graph, vectors: Mapping[str, Any] | None = None) -> Result:
        """``POST /hvp``: the outputs, the gradients of the scalar loss, and H·v.

        ``result.hvp[name]`` is the block of H·v for each tensor named in ``vectors``, with
        H the Hessian of the graph's ``loss`` over all of them jointly, as
        ``torch.autograd.functional.hvp``; ``result.gradients`` is what ``backward``
        gives. ``vectors`` maps tensor names to arrays (or wire tensors) of the tensors'
        shapes (they need no ``requires_grad``); it may instead be the graph's own
        ``"vectors"`` member. A missing or non-scalar loss is a 422 at ``/loss``, an
        unknown name or a wrong shape one at ``/vectors/NAME``. For H·v alone (the inner
        loop of Newton-CG), give the graph ``"gradients": []``: the server then computes
        no gradient it would not answer.
        """
        return self._post("/hvp", _with_directions(graph, "vectors", vectors))

    def _post(self, path: str, graph: Graph) -> Result:
        """Sends ``graph`` (answers asked for in b64 unless it names an encoding) and decodes the answer."""
        body = encode_graph(graph)
        body.setdefault("encoding", "b64")
        payload = json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
        answer = self._request("POST", path, payload)
        return Result.from_answer(json.loads(answer))

    def _request(self, method: str, path: str, payload: bytes | None) -> bytes:
        """The body of a 2xx answer; a problem raises, a 503 with Retry-After is retried."""
        headers = {"Accept": "application/json", "User-Agent": f"swiftautograd-python/{__version__}"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if self.api_key is not None:
            headers["Authorization"] = f"Bearer {self.api_key}"
        attempt = 0
        while True:
            status, reason, answer_headers, body = self._send(method, self._prefix + path, payload, headers)
            if 200 <= status < 300:
                return body
            problem = ProblemError.from_answer(status, reason, answer_headers, body)
            wait = _retry_after(problem.headers.get("retry-after")) if status == 503 else None
            if wait is None or attempt >= self.retries:
                raise problem
            attempt += 1
            self.sleep(min(wait, self.max_retry_wait))

    def _send(
        self, method: str, target: str, payload: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, str, dict[str, str], bytes]:
        """One exchange on a fresh connection: status, reason, headers, body."""
        connection_class = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
        connection = connection_class(self._parts.hostname or "", self._parts.port, timeout=self.timeout)
        try:
            connection.request(method, target, body=payload, headers=dict(headers))
            response = connection.getresponse()
            body = response.read()
            return response.status, response.reason, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            connection.close()


def _with_directions(graph: Graph, member: str, directions: Mapping[str, Any] | None) -> Graph:
    """``graph`` with ``member`` (``tangents`` or ``vectors``) set to ``directions``.

    Without ``directions`` the graph's own member is kept (``{}`` when it has none); giving
    both is a ``ValueError`` rather than a silent choice between them.
    """
    if directions is None:
        return graph if member in graph else {**graph, member: {}}
    if member in graph:
        raise ValueError(f"{member} given both as an argument and in the graph")
    return {**graph, member: directions}


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` field (delay-seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
