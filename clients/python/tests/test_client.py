#!/usr/bin/env python3
"""The Python client against a live server, and its retries against a stub server.

    python3 clients/python/tests/test_client.py URL

(`make test-python-client` starts a debug server and passes its URL; the client must be
installed, or clients/python on PYTHONPATH.)
"""

from __future__ import annotations

import base64
import http.server
import json
import sys
import threading
import unittest
from typing import Any

import numpy as np

import swiftautograd
from swiftautograd import Client, ProblemError

URL = ""
PROBLEMS = "https://swiftautograd.dev/problems/"


def readme_graph(**extra: Any) -> dict[str, Any]:
    """The README example (api/examples/seed-linear-mse.json) with numpy arrays for data."""
    return {
        "tensors": {
            "x": np.array([[1, 2], [3, 4]]),
            "W": {"data": np.array([[0.1, 0.2], [0.3, 0.4]]), "requires_grad": True},
            "b": {"data": np.array([0.5, 0.6]), "requires_grad": True},
            "y_true": {"data": [[1, 1], [1, 1]]},
        },
        "ops": [
            {"id": "y", "op": "linear", "inputs": ["x", "W", "b"]},
            {"id": "loss", "op": "mse_loss", "inputs": ["y", "y_true"]},
        ],
        "loss": "loss",
        **extra,
    }


def f32(values: Any) -> np.ndarray:
    return np.array(values, dtype=np.float32)


class LiveServerTests(unittest.TestCase):
    def setUp(self) -> None:
        self.client = Client(URL, timeout=60)

    def test_readme_backward_float32(self) -> None:
        result = self.client.backward(readme_graph())
        self.assertEqual(result.dtype, "float32")
        loss = result.outputs["loss"]
        self.assertEqual((loss.dtype, loss.shape), (np.float32, ()))
        # The README's answer, float32 for float32 (1.1600002 is the float nearest 1.16).
        self.assertEqual(loss, np.float32(1.1600002))
        np.testing.assert_array_equal(result.gradients["W"], f32([[1.6, 3.0000002], [2.2, 4.2000003]]))
        np.testing.assert_array_equal(result.gradients["b"], f32([0.6, 1.2]))
        self.assertEqual(result.gradients["W"].dtype, np.float32)
        self.assertEqual(sorted(result.gradients), ["W", "b"])

    def test_readme_backward_float64(self) -> None:
        result = self.client.backward(readme_graph(dtype="float64", id="py-64"))
        self.assertEqual((result.dtype, result.id), ("float64", "py-64"))
        self.assertEqual(result.gradients["W"].dtype, np.float64)
        np.testing.assert_allclose(result.outputs["loss"], 1.16, rtol=0, atol=1e-14)
        np.testing.assert_allclose(result.gradients["W"], [[1.6, 3.0], [2.2, 4.2]], rtol=0, atol=1e-14)
        np.testing.assert_allclose(result.gradients["b"], [0.6, 1.2], rtol=0, atol=1e-14)

    def test_forward_softmax(self) -> None:
        graph = {"tensors": {"x": np.array([1.0, 2.0, 3.0])}, "ops": [{"id": "y", "op": "softmax", "inputs": ["x"]}]}
        result = self.client.forward(graph)
        self.assertEqual(result.gradients, {})
        np.testing.assert_array_equal(result.outputs["y"], f32([0.09003057, 0.24472848, 0.66524094]))

    def test_train_readme_sgd(self) -> None:
        result = self.client.train(readme_graph(optimizer={"name": "sgd", "lr": 0.05}, steps=3))
        self.assertEqual(result.losses.dtype if result.losses is not None else None, np.float32)
        np.testing.assert_array_equal(result.losses, f32([1.1600002, 0.07609995, 0.028057251]))
        np.testing.assert_array_equal(result.parameters["W"], f32([[-0.004099999, 0.008524986], [0.16332501, 0.13787499]]))
        np.testing.assert_array_equal(result.parameters["b"], f32([0.467425, 0.52935]))

    def test_422_lists_every_cause_with_its_pointer(self) -> None:
        graph = {"tensors": {"x": {"data": [[1, 2], [3]]}}, "ops": [{"id": "y", "op": "matmul", "inputs": ["x", "W"]}]}
        with self.assertRaises(ProblemError) as caught:
            self.client.backward(graph)
        problem = caught.exception
        self.assertEqual((problem.status, problem.title), (422, "Unprocessable Content"))
        self.assertEqual(problem.type, PROBLEMS + "invalid-graph")
        self.assertEqual(problem.kind, "invalid-graph")
        self.assertEqual(problem.errors, [
            ("/tensors/x/data", "ragged nesting: /1 has 1 items where 2 belong"),
            ("/ops/0/inputs/1", 'no tensor or op is named "W"'),
        ])
        self.assertIn("2 problems", problem.detail)

    def test_400_wrong_json_type(self) -> None:
        with self.assertRaises(ProblemError) as caught:
            self.client.forward({"tensors": {}, "ops": "none"})
        self.assertEqual((caught.exception.status, caught.exception.type), (400, PROBLEMS + "malformed-request"))
        self.assertEqual([p for p, _ in caught.exception.errors], ["/ops"])

    def test_b64_round_trip_keeps_every_bit(self) -> None:
        specials = [0.0, -0.0, 1 / 3, np.inf, -np.inf, np.nan, 1e-45, 3.4e38, -2.5e-310]
        for dtype, width in (("float32", np.uint32), ("float64", np.uint64)):
            values = np.array(specials, dtype=dtype).reshape(3, 3)
            cases = {"m": values, "s": np.array(-1.5e-7, dtype=dtype), "z": np.zeros((0, 3), dtype=dtype),
                     "e": np.zeros((2, 0), dtype=dtype)}
            for name, array in cases.items():
                with self.subTest(dtype=dtype, tensor=name):
                    graph = {"dtype": dtype, "tensors": {"a": array}, "ops": [{"id": "n", "op": "neg", "inputs": ["a"]}]}
                    got = self.client.forward(graph).outputs["n"]
                    self.assertEqual((got.dtype, got.shape), (np.dtype(dtype), array.shape))
                    # Negation flips the sign bit only: the bits are the input's with it flipped.
                    sign = width(1) << width(8 * array.itemsize - 1)
                    np.testing.assert_array_equal(got.view(width), array.view(width) ^ sign)

    def test_arrays_are_sent_in_the_request_dtype(self) -> None:
        graph = {"tensors": {"a": np.array([0.1], dtype=np.float64)}, "ops": [{"id": "n", "op": "neg", "inputs": ["a"]}]}
        got = self.client.forward(graph).outputs["n"]
        self.assertEqual(got.dtype, np.float32)
        self.assertEqual(got[0], -np.float32(0.1))

    def test_seed_as_array_and_json_encoding(self) -> None:
        graph = {"dtype": "float64", "tensors": {"a": {"data": np.array([1.0, 2.0, 3.0]), "requires_grad": True}},
                 "ops": [{"id": "y", "op": "square", "inputs": ["a"]}], "loss": "y",
                 "seed": np.array([1.0, 0.5, 2.0]), "encoding": "json"}
        result = self.client.backward(graph)
        np.testing.assert_array_equal(result.gradients["a"], [2.0, 2.0, 12.0])
        np.testing.assert_array_equal(result.outputs["y"], [1.0, 4.0, 9.0])

    # /jvp and /hvp (docs/higher-order.md), against closed forms.
    def test_jvp_of_a_square(self) -> None:
        x = np.array([1.0, 2.0, -3.0])
        t = np.array([1.0, 0.5, -2.0])
        graph = {"dtype": "float64", "tensors": {"x": x},
                 "ops": [{"id": "y", "op": "square", "inputs": ["x"]}, {"id": "s", "op": "sum", "inputs": ["y"]}],
                 "outputs": ["y", "s"]}
        result = self.client.jvp(graph, tangents={"x": t})
        self.assertEqual(result.dtype, "float64")
        self.assertEqual(sorted(result.tangents), ["s", "y"])
        np.testing.assert_array_equal(result.outputs["y"], x * x)
        # d(x²)·t = 2x·t elementwise, and its sum for s: (2, 2, 12) and 16.
        np.testing.assert_array_equal(result.tangents["y"], 2 * x * t)
        self.assertEqual((result.tangents["s"].shape, float(result.tangents["s"])), ((), 16.0))
        self.assertEqual(result.tangents["y"].dtype, np.float64)
        self.assertEqual(result.gradients, {})

    def test_jvp_float32_tangents_in_the_graph_and_zero_elsewhere(self) -> None:
        # y = w·x: tangent only for x, so J·t = w·t_x (w's tangent is zero); as in the docs' exp example too.
        graph = {"tensors": {"x": np.array([0.5, 1.0]), "w": np.array([3.0, -2.0])},
                 "ops": [{"id": "y", "op": "mul", "inputs": ["w", "x"]}, {"id": "e", "op": "exp", "inputs": ["x"]}],
                 "outputs": ["y", "e"], "tangents": {"x": {"data": np.array([1.0, 2.0])}}}
        result = self.client.jvp(graph)
        self.assertEqual(result.tangents["y"].dtype, np.float32)
        np.testing.assert_array_equal(result.tangents["y"], f32([3.0, -4.0]))
        np.testing.assert_array_equal(result.tangents["e"], f32([1.6487212, 5.4365635]))
        with self.assertRaises(ValueError):
            self.client.jvp(graph, tangents={"x": np.ones(2)})

    def test_hvp_of_a_cubic_sum(self) -> None:
        # loss = Σ x³: gradient 3x², Hessian diag(6x), so H·v = 6x·v.
        x = np.array([1.0, 2.0, -1.5])
        v = np.array([1.0, 0.5, 2.0])
        graph = {"dtype": "float64", "tensors": {"x": {"data": x, "requires_grad": True}},
                 "ops": [{"id": "x2", "op": "mul", "inputs": ["x", "x"]}, {"id": "x3", "op": "mul", "inputs": ["x2", "x"]},
                         {"id": "loss", "op": "sum", "inputs": ["x3"]}], "loss": "loss"}
        result = self.client.hvp(graph, vectors={"x": v})
        self.assertEqual(float(result.outputs["loss"]), 1.0 + 8.0 - 3.375)
        np.testing.assert_array_equal(result.gradients["x"], 3 * x * x)
        np.testing.assert_array_equal(result.hvp["x"], 6 * x * v)
        self.assertEqual(result.hvp["x"].dtype, np.float64)
        # H·v alone: "gradients": [] answers (and computes) no gradient, the same products.
        alone = self.client.hvp({**graph, "gradients": []}, vectors={"x": v})
        self.assertEqual(alone.gradients, {})
        np.testing.assert_array_equal(alone.hvp["x"], 6 * x * v)

    def test_hvp_joint_hessian_of_two_tensors(self) -> None:
        # The spec's example: loss = Σ x²·y; H over (x, y) jointly; y needs no requires_grad.
        graph = {"dtype": "float64", "tensors": {"x": {"data": np.array([1.0, 2.0]), "requires_grad": True},
                                                 "y": np.array([3.0, 4.0])},
                 "ops": [{"id": "xx", "op": "mul", "inputs": ["x", "x"]}, {"id": "xxy", "op": "mul", "inputs": ["xx", "y"]},
                         {"id": "loss", "op": "sum", "inputs": ["xxy"]}], "loss": "loss"}
        result = self.client.hvp(graph, vectors={"x": np.array([1.0, 0.0]), "y": np.array([0.0, 1.0])})
        self.assertEqual(float(result.outputs["loss"]), 19.0)
        self.assertEqual(sorted(result.gradients), ["x"])
        np.testing.assert_array_equal(result.gradients["x"], [6.0, 16.0])
        # H = [[diag(2y), diag(2x)], [diag(2x), 0]], v = (e1, e2): H·v = (2y·e1 + 2x·e2, 2x·e1) = ((6, 4), (2, 0)).
        np.testing.assert_array_equal(result.hvp["x"], [6.0, 4.0])
        np.testing.assert_array_equal(result.hvp["y"], [2.0, 0.0])

    def test_hvp_422_for_an_unknown_vector_and_a_missing_loss(self) -> None:
        graph = {"tensors": {"x": {"data": np.array([1.0, 2.0]), "requires_grad": True}},
                 "ops": [{"id": "s", "op": "sum", "inputs": ["x"]}], "loss": "s"}
        with self.assertRaises(ProblemError) as caught:
            self.client.hvp(graph, vectors={"nope": np.ones(2)})
        problem = caught.exception
        self.assertEqual((problem.status, problem.kind), (422, "invalid-graph"))
        self.assertEqual([p for p, _ in problem.errors], ["/vectors/nope"])
        with self.assertRaises(ProblemError) as caught:
            self.client.hvp(graph, vectors={"x": np.ones(3)})
        self.assertEqual([p for p, _ in caught.exception.errors], ["/vectors/x"])
        with self.assertRaises(ProblemError) as caught:
            self.client.hvp({**graph, "loss": None, "ops": [{"id": "d", "op": "neg", "inputs": ["x"]}]},
                            vectors={"x": np.ones(2)})
        self.assertEqual((caught.exception.status, [p for p, _ in caught.exception.errors]), (422, ["/loss"]))

    def test_jvp_422_for_a_tangent_of_the_wrong_shape(self) -> None:
        graph = {"tensors": {"x": np.array([1.0, 2.0])}, "ops": [{"id": "y", "op": "square", "inputs": ["x"]}]}
        with self.assertRaises(ProblemError) as caught:
            self.client.jvp(graph, tangents={"x": np.ones((2, 2))})
        self.assertEqual((caught.exception.status, [p for p, _ in caught.exception.errors]), (422, ["/tangents/x"]))


class Stub(http.server.BaseHTTPRequestHandler):
    """Answers from `Stub.script`, one (status, headers, body) per request, recording each."""

    script: list[tuple[int, dict[str, str], bytes]] = []
    seen: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Stub.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        status, headers, answer = Stub.script.pop(0)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


BUSY = (503, {"Content-Type": "application/problem+json", "Retry-After": "1"}, json.dumps({
    "type": PROBLEMS + "overloaded", "title": "Service Unavailable", "status": 503,
    "detail": "the server is at capacity"}).encode())
OK = (200, {"Content-Type": "application/json"}, json.dumps({
    "dtype": "float32", "outputs": {"loss": {"shape": [], "b64": base64.b64encode(np.float32(2.5).tobytes()).decode()}}}).encode())


class RetryTests(unittest.TestCase):
    """503 with Retry-After is retried a bounded number of times; the waits are recorded, not slept."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.url = f"http://127.0.0.1:{cls.server.server_address[1]}/prefix"

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.shutdown()
        cls.server.server_close()

    def client(self, **options: Any) -> tuple[Client, list[float]]:
        Stub.seen.clear()
        client = Client(self.url, **options)
        waits: list[float] = []
        client.sleep = waits.append
        return client, waits

    def test_retries_then_succeeds(self) -> None:
        client, waits = self.client(api_key="k3y")
        Stub.script = [BUSY, BUSY, OK]
        result = client.forward({"tensors": {}, "ops": []})
        self.assertEqual(result.outputs["loss"], np.float32(2.5))
        self.assertEqual(waits, [1.0, 1.0])
        self.assertEqual([path for path, _, _ in Stub.seen], ["/prefix/forward"] * 3)
        path, headers, body = Stub.seen[0]
        self.assertEqual(headers["authorization"], "Bearer k3y")
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(json.loads(body), {"tensors": {}, "ops": [], "encoding": "b64"})

    def test_gives_up_after_the_retries(self) -> None:
        client, waits = self.client(retries=1)
        Stub.script = [BUSY, BUSY, OK]
        with self.assertRaises(ProblemError) as caught:
            client.backward({"tensors": {}, "ops": []})
        self.assertEqual((caught.exception.status, caught.exception.kind), (503, "overloaded"))
        self.assertEqual(caught.exception.headers["retry-after"], "1")
        self.assertEqual((waits, len(Stub.seen)), ([1.0], 2))
        Stub.script.clear()

    def test_wait_is_capped(self) -> None:
        client, waits = self.client(max_retry_wait=2.5)
        Stub.script = [(503, {"Retry-After": "120"}, b"{}"), OK]
        client.forward({"tensors": {}, "ops": []})
        self.assertEqual(waits, [2.5])

    def test_503_without_retry_after_and_non_problem_bodies_are_not_retried(self) -> None:
        client, waits = self.client()
        Stub.script = [(503, {"Content-Type": "text/html"}, b"<html>502 Bad Gateway</html>"), OK]
        with self.assertRaises(ProblemError) as caught:
            client.forward({"tensors": {}, "ops": []})
        self.assertEqual((caught.exception.status, caught.exception.type), (503, "about:blank"))
        self.assertIn("Bad Gateway", caught.exception.detail)
        self.assertEqual((waits, len(Stub.seen)), ([], 1))
        Stub.script.clear()

    def test_jvp_and_hvp_post_their_routes_with_b64_directions(self) -> None:
        client, waits = self.client()
        Stub.script = [BUSY, OK, OK]
        client.jvp({"tensors": {}, "ops": []}, tangents={"x": np.array([1.0, 2.0])})
        client.hvp({"tensors": {}, "ops": [], "loss": "l"}, vectors={"x": np.array([0.5])})
        self.assertEqual(waits, [1.0])
        self.assertEqual([path for path, _, _ in Stub.seen], ["/prefix/jvp", "/prefix/jvp", "/prefix/hvp"])
        self.assertEqual(json.loads(Stub.seen[0][2])["tangents"], {"x": {"shape": [2], "b64": "AACAPwAAAEA="}})
        self.assertEqual(json.loads(Stub.seen[2][2]), {"tensors": {}, "ops": [], "loss": "l", "encoding": "b64",
                                                       "vectors": {"x": {"shape": [1], "b64": "AAAAPw=="}}})


class LocalEncodingTests(unittest.TestCase):
    def test_encode_decode_round_trip(self) -> None:
        for dtype in ("float32", "float64"):
            for array in (np.arange(6.0).reshape(2, 3) / 7, np.array(np.pi), np.zeros((3, 0, 2))):
                wire = swiftautograd.encode_array(array, dtype)
                self.assertEqual(wire["shape"], list(array.shape))
                back = swiftautograd.decode_tensor(wire, dtype)
                self.assertEqual((back.dtype, back.shape), (np.dtype(dtype), array.shape))
                np.testing.assert_array_equal(back, array.astype(dtype))
                self.assertTrue(back.flags.writeable)
        self.assertEqual(swiftautograd.encode_array(np.array([1.0, 2.0]), "float32")["b64"], "AACAPwAAAEA=")

    def test_bad_inputs_raise(self) -> None:
        with self.assertRaises(TypeError):
            swiftautograd.encode_array(np.array([1j]), "float32")
        with self.assertRaises(ValueError):
            swiftautograd.encode_graph({"dtype": "float16", "tensors": {}})
        with self.assertRaises(ValueError):
            swiftautograd.decode_tensor({"shape": [3], "b64": "AACAPw=="}, "float32")
        with self.assertRaises(ValueError):
            Client("localhost:8080")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    URL = sys.argv.pop(1)
    unittest.main(verbosity=2)
