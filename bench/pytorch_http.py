#!/usr/bin/env python3
"""H1's PyTorch reference: the README example (linear + MSE, float32) as a PyTorch model
behind Python's http.server, answering POST /backward with the same JSON shape as
autograd-server. Only the fields the README example uses are read.

    python3 bench/pytorch_http.py PORT
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch
import torch.nn.functional as F

torch.set_num_threads(2)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        req = json.loads(body)
        t = {name: torch.tensor(v["data"], dtype=torch.float32, requires_grad=bool(v.get("requires_grad")))
             for name, v in req["tensors"].items()}
        loss = F.mse_loss(t["x"] @ t["W"] + t["b"], t["y_true"])
        loss.backward()
        out = json.dumps({"dtype": "float32", "outputs": {"loss": {"shape": [], "data": loss.item()}},
                          "gradients": {n: {"shape": list(v.shape), "data": v.grad.tolist()}
                                        for n, v in t.items() if v.requires_grad}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def do_GET(self):
        out = b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
