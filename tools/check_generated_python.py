#!/usr/bin/env python3
"""The client openapi-python-client generates from api/openapi.yaml, against a live server.

    check_generated_python.py --url URL --generated DIR

DIR holds the generated package `autograd_api_client` (`make test-generated-clients`
generates it with the pinned openapi-python-client). The check builds the README request
with the generated models, sends it with the generated `backward`, `forward` and `train`
calls, and compares what the generated models parse with the README's numbers; a 422
comes back as the generated `Problem` with its type and pointers. Then `/jvp` and `/hvp`
(docs/higher-order.md): the spec's own request examples through the generated `jvp` and
`hvp`, their parsed answers compared with the spec's response examples and with closed
forms, and a vector naming no tensor as a 422 at `/vectors/NAME`.
"""

import argparse
import json

import yaml
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROBLEMS = "https://swiftautograd.dev/problems/"


def fail(message):
    sys.exit(f"check_generated_python: {message}")


def expect(got, want, what):
    if got != want:
        fail(f"{what}: got {got!r}, expected {want!r}")
    print(f"ok  {what}: {got!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--generated", required=True)
    args = parser.parse_args()
    sys.path.insert(0, args.generated)
    from autograd_api_client import Client
    from autograd_api_client.api.graph import backward, forward, hvp, jvp
    from autograd_api_client.api.training import train
    from autograd_api_client.models import (
        BackwardRequest, BackwardResponse, ForwardResponse, HVPRequest, HVPResponse, JVPRequest, JVPResponse,
        Problem, TrainRequest, TrainResponse)

    client = Client(base_url=args.url, raise_on_unexpected_status=True)
    readme = json.loads((ROOT / "api/examples/seed-linear-mse.json").read_text())
    request = BackwardRequest.from_dict(readme)
    expect(request.to_dict(), readme, "the README request through the generated model")

    answer = backward.sync(client=client, body=request)
    if not isinstance(answer, BackwardResponse):
        fail(f"POST /backward answered {answer!r}")
    expect(answer.dtype.value, "float32", "dtype")
    expect(answer.outputs["loss"].data, 1.1600002, "loss")
    expect(answer.outputs["loss"].shape, [], "loss shape")
    expect(answer.gradients["W"].data, [[1.6, 3.0000002], [2.2, 4.2000003]], "dL/dW")
    expect(answer.gradients["b"].data, [0.6, 1.2], "dL/db")
    expected = json.loads((ROOT / "api/examples/seed-linear-mse.response.json").read_text())
    expect(answer.to_dict(), expected, "the whole answer, as the README shows it")

    readme_b64 = dict(readme, encoding="b64")
    answer = forward.sync(client=client, body=BackwardRequest.from_dict(readme_b64))
    if not isinstance(answer, ForwardResponse):
        fail(f"POST /forward answered {answer!r}")
    expect(answer.outputs["loss"].b64, "43qUPw==", "loss as b64 (the float32 bytes of 1.1600002)")

    steps = dict(readme, optimizer={"name": "sgd", "lr": 0.05}, steps=3)
    answer = train.sync(client=client, body=TrainRequest.from_dict(steps))
    if not isinstance(answer, TrainResponse):
        fail(f"POST /train answered {answer!r}")
    expect(answer.losses, [1.1600002, 0.07609995, 0.028057251], "/train losses")
    expect(answer.parameters["b"].data, [0.467425, 0.52935], "/train b")

    bad = dict(readme, ops=[{"id": "y", "op": "matmul", "inputs": ["x", "Q"]}], loss=None)
    client = Client(base_url=args.url)
    problem = backward.sync(client=client, body=BackwardRequest.from_dict(bad))
    if not isinstance(problem, Problem):
        fail(f"the undefined input answered {problem!r}")
    expect((problem.status, problem.type_), (422, PROBLEMS + "invalid-graph"), "422 problem")
    expect([e.pointer for e in problem.errors], ["/ops/0/inputs/1"], "its pointer")

    # /jvp and /hvp with the examples of api/openapi.yaml, request and answer.
    paths = yaml.safe_load((ROOT / "api/openapi.yaml").read_text())["paths"]

    def example(route, name):
        post = paths[route]["post"]
        request = post["requestBody"]["content"]["application/json"]["examples"][name]["value"]
        answer = post["responses"]["200"]["content"]["application/json"]["examples"][name]["value"]
        return request, answer

    cubic, cubic_answer = example("/jvp", "cubic")
    request = JVPRequest.from_dict(cubic)
    expect(request.to_dict(), cubic, "the /jvp example through the generated model")
    answer = jvp.sync(client=client, body=request)
    if not isinstance(answer, JVPResponse):
        fail(f"POST /jvp answered {answer!r}")
    # y = w·x², t = 1: J·t = 2·w·x = (1, -4, 12), and its sum 9.
    expect(answer.tangents["y"].data, [1.0, -4.0, 12.0], "/jvp tangent of y (2·w·x)")
    expect(answer.tangents["s"].data, 9.0, "/jvp tangent of s")
    expect(answer.to_dict(), cubic_answer, "the /jvp answer, as the spec's example shows it")

    two, two_answer = example("/hvp", "two-tensors")
    request = HVPRequest.from_dict(two)
    expect(request.to_dict(), two, "the /hvp example through the generated model")
    answer = hvp.sync(client=client, body=request)
    if not isinstance(answer, HVPResponse):
        fail(f"POST /hvp answered {answer!r}")
    # loss = Σ x²·y: gradient (2xy, x²); H·(e₁, e₂) = (2y₁, 2x₂; 2x₁, 0) per block.
    expect(answer.gradients["x"].data, [6.0, 16.0], "/hvp gradient of x (2xy)")
    expect(answer.hvp["x"].data, [6.0, 4.0], "/hvp block of x")
    expect(answer.hvp["y"].data, [2.0, 0.0], "/hvp block of y")
    expect(answer.to_dict(), two_answer, "the /hvp answer, as the spec's example shows it")

    bad = dict(two, vectors={"x": {"data": [1, 0]}, "z": {"data": [1, 1]}})
    problem = hvp.sync(client=client, body=HVPRequest.from_dict(bad))
    if not isinstance(problem, Problem):
        fail(f"the unknown vector answered {problem!r}")
    expect((problem.status, problem.type_), (422, PROBLEMS + "invalid-graph"), "/hvp 422 problem")
    expect([e.pointer for e in problem.errors], ["/vectors/z"], "its pointer")


if __name__ == "__main__":
    main()
