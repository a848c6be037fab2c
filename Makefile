# SwiftAutograd: `make run` serves on 127.0.0.1:8080, `make test` runs every test.
# Both install the system packages they need when run as root on Debian/Ubuntu.

SWIFT      ?= swift
HOST       ?= 127.0.0.1
PORT       ?= 8080
APT_PKGS   := libmicrohttpd-dev libopenblas-dev zlib1g-dev pkg-config libdnnl2
PY_REQUIREMENTS := tools/requirements-test.txt
# Only for `make test`: nginx in front of two servers (docker/tests), dot for POST /graph SVG,
# headless Chromium for the page of GET / (driven by Playwright from PyPI; no `playwright install`),
# openssl for its certificate over TLS.
TEST_APT_PKGS := nginx graphviz chromium openssl
PREFIX     ?= /usr/local

.PHONY: all deps py-deps build release run test test-swift test-asan test-consumer test-api test-http test-onnx test-docs test-docc test-web docs clean bench bench-compare bench-http

all: build

# System libraries: libmicrohttpd (HTTP), OpenBLAS (matrix products), zlib (gzip bodies, server
# only), pkg-config (to find them), oneDNN (float32 products, opened at run time when present:
# nothing links it; without it they run on OpenBLAS).
deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing system packages:$$missing (run: sudo apt-get install -y$$missing)"; exit 1; \
	  fi; \
	fi

# Python tools for checking api/openapi.yaml, the clients, the web page and the files the
# consumer example saves (only used by `make test`),
# pinned in tools/requirements-test.txt.
py-deps:
	@python3 -c "import openapi_spec_validator, jsonschema, yaml, prometheus_client, schemathesis, playwright, numpy, safetensors.numpy, openapi_python_client, onnx, onnxruntime" 2>/dev/null || \
	  python3 -m pip install -q -r $(PY_REQUIREMENTS)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product autograd-server

run: release
	$$($(SWIFT) build -c release --show-bin-path)/autograd-server --host $(HOST) --port $(PORT)

test: deps test-deps py-deps test-swift test-asan test-consumer test-api test-http test-onnx test-docs test-docc test-deploy test-web test-schemathesis test-python-client test-generated-clients load-smoke fuzz-ci

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel --num-workers 2
	@echo "engine tests again on the baseline kernels (CAutogradKernels' run-time dispatch):"
	AUTOGRAD_CPU=baseline $(SWIFT) test --skip-build --parallel --num-workers 2 --filter AutogradTests

# Issue 22: deliberately wrong custom ops (Tests/SafetyCheck) under the address sanitizer,
# in a build directory of their own: only the engine and the check are compiled.
ASAN := $(SWIFT) build --product autograd-safety-check --sanitize=address --build-path .build/asan
test-asan:
	$(ASAN)
	$$($(ASAN) --show-bin-path)/autograd-safety-check

test-api:
	python3 api/check_openapi.py

# The library as a dependency (issue 20): examples/swift-package, built against a temporary
# bare clone of this tree tagged 0.1.0 (file:// URL, `from: "0.1.0"`), run, and its printed
# numbers compared with the README's; fails if a server module gets compiled.
# The library as a versioned dependency, and every Swift example of its documentation
# compiled and run against it (tools/swift_snippets.py).
test-consumer:
	SWIFT=$(SWIFT) python3 tools/check_consumer.py

# HTTP behaviour every client relies on, against the real (debug) binary: answers sent
# before a large body is read reach http.client, urllib and curl (issue 19); HTTP/1.1
# conformance: idle connections, Host, methods, CORS, bursts (issue 23); gzip bodies and
# answers through http.client (issue 14).
test-http:
	$(SWIFT) build --product autograd-server
	mkdir -p .build && cc -O1 -Wall -o .build/mhd_epoll_stall tools/mhd_epoll_stall.c -lmicrohttpd && .build/mhd_epoll_stall
	python3 tools/early_answers.py
	python3 tools/http11_conformance.py
	python3 tools/content_coding.py

# ONNX conformance (issue 11): the onnx package's backend node tests whose ops the importer
# maps, against the debug server; lists every test run and every skip with its reason.
test-onnx:
	$(SWIFT) build --product autograd-server
	python3 tools/onnx_conformance.py
	python3 tools/with_server.py $(SERVER_DBG) -- python3 tools/onnx_train_check.py --url {url}

# The page of GET / in headless Chromium (docs/web-page.md): the README and CNN examples,
# drawing and numbers against the server's JSON, a 422's pointers, an .onnx drop, no CSP
# violation; then once with an API key, over TLS (a self-signed certificate made here).
# Screenshots in .build/web-page*.png.
WEB_KEY := web-page-test-key
WEB_TLS := .build/web-tls
test-web:
	$(SWIFT) build --product autograd-server
	python3 tools/with_server.py $(SERVER_DBG) -- python3 tools/check_web_page.py --url {url}
	@mkdir -p $(WEB_TLS)
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	  -keyout $(WEB_TLS)/key.pem -out $(WEB_TLS)/cert.pem 2>/dev/null
	AUTOGRAD_API_KEY=$(WEB_KEY) python3 tools/with_server.py $(SERVER_DBG) \
	  --server-arg --tls-cert --server-arg $(WEB_TLS)/cert.pem --server-arg --tls-key --server-arg $(WEB_TLS)/key.pem \
	  -- python3 tools/check_web_page.py --url {url} --api-key $(WEB_KEY) --cacert $(WEB_TLS)/cert.pem
	python3 tools/check_cors_browser.py

# README.md and docs/*.md: every relative link and #anchor resolves, and every curl
# example marked <!-- doctest --> gives the answer shown, against a live debug server.
test-docs:
	python3 tools/check_doc_links.py
	python3 tools/render_diagrams.py --check
	$(SWIFT) build --product autograd-server
	python3 tools/with_server.py $(SERVER_DBG) -- python3 tools/check_doc_examples.py --url {url}

# docs/ops.md from the op definitions and docs/*.svg from docs/*.dot (each rewritten only
# when its source changes), then the DocC archive of the Autograd library
# (Sources/Autograd/Autograd.docc; a warning such as a broken symbol link is an error) and
# the check that every public symbol has a doc comment. Offline; the archive goes to .build/.
DOCC := $(SWIFT) package --disable-sandbox generate-documentation --target Autograd --warnings-as-errors

docs:
	$(SWIFT) run autograd-docs docs/ops.md
	python3 tools/render_diagrams.py
	$(DOCC)
	python3 tools/check_doc_coverage.py
	@echo "DocC archive: .build/plugins/Swift-DocC/outputs/Autograd.doccarchive"

# The DocC build and doc-comment check of `make docs`, without rewriting docs/ops.md
# (OpsReferenceTests checks that file).
test-docc:
	$(DOCC)
	python3 tools/check_doc_coverage.py

# ---- Running it as infrastructure (docker/, issue 6) ----------------------------------
.PHONY: resolve release-static install test-deps test-deploy

resolve:
	$(SWIFT) package resolve

# The container's build (docker/Dockerfile runs `make install`): release, with the Swift
# runtime linked in statically so the image needs no Swift libraries.
release-static: deps
	$(SWIFT) build -c release --product autograd-server --static-swift-stdlib

install: release-static
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 "$$($(SWIFT) build -c release --static-swift-stdlib --show-bin-path)/autograd-server" $(DESTDIR)$(PREFIX)/bin/autograd-server

# nginx and Graphviz for the tests below, installed like `deps` (root and missing).
test-deps:
	@missing=""; for p in $(TEST_APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing system packages:$$missing (run: sudo apt-get install -y$$missing)"; exit 1; \
	  fi; \
	fi

# Manifests and Dockerfile against the Makefile; nginx (docker/nginx.conf) in front of two
# servers, and one of them SIGKILLed and restarted under load (about 25 s); /metrics,
# /readyz, /openapi.yaml, /graph and request ids against a live server.
test-deploy:
	python3 docker/tests/test_manifests.py
	python3 docker/tests/test_nginx.py
	python3 docker/tests/test_failover.py
	python3 api/check_operability.py

# Benchmarks (issue 4; never part of `make test`). Results as JSON lines in .build/bench/.
BENCH_OUT  := .build/bench
BENCH_ARGS ?=
BIN         = $$($(SWIFT) build -c release --show-bin-path)

bench: deps
	$(SWIFT) build -c release --product autograd-bench
	$(BIN)/autograd-bench $(BENCH_ARGS)

# Both engines in one invocation, workload by workload (bench/run_compare.py), then the
# side-by-side table (PyTorch only if importable). jax (W2 and W3 under jax.jit, issue 13)
# is installed from PyPI, pinned, when it does not import.
JAX_PIN ?= jax==0.10.2
bench-compare: deps
	$(SWIFT) build -c release --product autograd-bench
	@python3 -c "import jax" 2>/dev/null || python3 -m pip install -q "$(JAX_PIN)" || echo "(jax could not be installed: W3 is compared with PyTorch instead)"
	@mkdir -p $(BENCH_OUT)
	@echo "load average: $$(cut -d' ' -f1-3 /proc/loadavg)"
	python3 bench/run_compare.py --bench $(BIN)/autograd-bench --out $(BENCH_OUT) $(BENCH_ARGS)
	@echo "load average at the end: $$(cut -d' ' -f1-3 /proc/loadavg)"
	@test -f $(BENCH_OUT)/http.jsonl || echo '(no $(BENCH_OUT)/http.jsonl: run `make bench-http` for H1, H2 and RSS)'
	@python3 bench/compare.py $(BENCH_OUT)/swift.jsonl $(BENCH_OUT)/pytorch.jsonl $(BENCH_OUT)/jax.jsonl $$(ls $(BENCH_OUT)/http.jsonl 2>/dev/null)
	@python3 bench/compare.py --markdown $(BENCH_OUT)/swift.jsonl $(BENCH_OUT)/pytorch.jsonl $(BENCH_OUT)/jax.jsonl $$(ls $(BENCH_OUT)/http.jsonl 2>/dev/null) > $(BENCH_OUT)/table.md
	@echo "Markdown table: $(BENCH_OUT)/table.md"

# H1 (wrk against the server, a bare libmicrohttpd and PyTorch's http.server), H2, RSS: about a minute.
bench-http: deps
	@command -v wrk >/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; else echo "wrk is missing (sudo apt-get install -y wrk)"; exit 1; fi; }
	$(SWIFT) build -c release --product autograd-bench
	$(SWIFT) build -c release --product autograd-server
	@mkdir -p $(BENCH_OUT)
	python3 bench/http_bench.py --json --server $(BIN)/autograd-server --bench $(BIN)/autograd-bench | tee $(BENCH_OUT)/http.jsonl

# Robustness (issue 5). Fuzzing builds in its own scratch path with libFuzzer and ASan;
# schemathesis and the load test run against a fresh debug (test) or release (load) server.
FUZZ_DIR   := .build-fuzz
FUZZ_TIME  ?= 600
FUZZ_GZIP_TIME ?= 300
FUZZ_ONNX_TIME ?= 300
FUZZ_FRAMING_TIME ?= 120
FUZZ_BUILD := $(SWIFT) build --scratch-path $(FUZZ_DIR) -c release --product autograd-fuzz \
              --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
SERVER_DBG  = $$($(SWIFT) build --show-bin-path)/autograd-server
SERVER_REL  = $$($(SWIFT) build -c release --show-bin-path)/autograd-server
ST_EXAMPLES ?= 30

# libFuzzer over parse + decode + validate + plan + execute; FUZZ_TIME seconds (default 10 min).
# Then gzip bodies (AUTOGRAD_FUZZ_INPUT=gzip: inflated as the server does, then the same path)
# for FUZZ_GZIP_TIME seconds from Fuzz/gzip-corpus (Fuzz/make_gzip_corpus.py); crashes go to
# $(FUZZ_DIR)/artifacts/gzip-*, replayed with `AUTOGRAD_FUZZ_INPUT=gzip swift run autograd-fuzz FILE`.
# New inputs go to $(FUZZ_DIR)/corpus, crashes to $(FUZZ_DIR)/artifacts; replay one with
# `swift run autograd-fuzz FILE`. Fuzz/corpus is the committed seed (Fuzz/make_corpus.py);
# Fuzz/regressions holds inputs that once crashed. Third, ONNX models (AUTOGRAD_FUZZ_INPUT=onnx:
# every input the bytes of a ModelProto sent as "onnx": {"b64"}, with its declared inputs)
# for FUZZ_ONNX_TIME seconds from Fuzz/onnx-corpus (Fuzz/make_onnx_corpus.py, which also
# writes Fuzz/onnx.dict); crashes go to $(FUZZ_DIR)/artifacts/onnx-*, replayed with
# `AUTOGRAD_FUZZ_INPUT=onnx swift run autograd-fuzz FILE`. Fourth, connection byte streams
# (AUTOGRAD_FUZZ_INPUT=framing: the request framing the C shim follows under libmicrohttpd's
# reads, CMicroHTTPD framing.c) for FUZZ_FRAMING_TIME seconds from Fuzz/framing-corpus.
fuzz: deps
	$(FUZZ_BUILD)
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/artifacts
	SWIFT_BACKTRACE=enable=no $(FUZZ_DIR)/release/autograd-fuzz $(FUZZ_DIR)/corpus Fuzz/corpus Fuzz/regressions \
	  -dict=Fuzz/graph.dict -max_len=16384 -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
	  -max_total_time=$(FUZZ_TIME) -artifact_prefix=$(FUZZ_DIR)/artifacts/
	@mkdir -p $(FUZZ_DIR)/gzip-corpus
	AUTOGRAD_FUZZ_INPUT=gzip SWIFT_BACKTRACE=enable=no $(FUZZ_DIR)/release/autograd-fuzz $(FUZZ_DIR)/gzip-corpus Fuzz/gzip-corpus \
	  -max_len=16384 -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
	  -max_total_time=$(FUZZ_GZIP_TIME) -artifact_prefix=$(FUZZ_DIR)/artifacts/gzip-
	@mkdir -p $(FUZZ_DIR)/onnx-corpus
	AUTOGRAD_FUZZ_INPUT=onnx SWIFT_BACKTRACE=enable=no $(FUZZ_DIR)/release/autograd-fuzz $(FUZZ_DIR)/onnx-corpus Fuzz/onnx-corpus Fuzz/onnx-regressions \
	  -dict=Fuzz/onnx.dict -max_len=65536 -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
	  -max_total_time=$(FUZZ_ONNX_TIME) -artifact_prefix=$(FUZZ_DIR)/artifacts/onnx-
	@mkdir -p $(FUZZ_DIR)/framing-corpus
	AUTOGRAD_FUZZ_INPUT=framing SWIFT_BACKTRACE=enable=no $(FUZZ_DIR)/release/autograd-fuzz $(FUZZ_DIR)/framing-corpus Fuzz/framing-corpus \
	  -dict=Fuzz/framing.dict -max_len=40000 -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
	  -max_total_time=$(FUZZ_FRAMING_TIME) -artifact_prefix=$(FUZZ_DIR)/artifacts/framing-

# The CI run: one minute of JSON, half a minute of gzip, one of ONNX and half a minute of
# framing; fails on any crash, leak-free exit or sanitizer report.
fuzz-ci:
	$(MAKE) fuzz FUZZ_TIME=60 FUZZ_GZIP_TIME=30 FUZZ_ONNX_TIME=60 FUZZ_FRAMING_TIME=30

# schemathesis against api/openapi.yaml: no 5xx, every response as the spec says. All checks
# but positive_data_acceptance, which expects every schema-valid body to be accepted: a graph
# whose names do not resolve or whose shapes do not fit is schema-valid JSON and rightly 422.
test-schemathesis:
	$(SWIFT) build --product autograd-server
	python3 tools/with_server.py $(SERVER_DBG) -- schemathesis run api/openapi.yaml --url {url} \
	  --checks all --exclude-checks positive_data_acceptance --max-examples $(ST_EXAMPLES) \
	  --generation-deterministic --no-color

# 30 s at 64 connections after a 10 s warm-up (release build); figures in .build/load.json.
load: deps
	$(SWIFT) build -c release --product autograd-server
	@mkdir -p .build
	python3 tools/with_server.py $(SERVER_REL) -- python3 tools/loadtest.py --url {url} --pid {pid} \
	  --seconds 30 --warmup 10 --connections 64 --max-rss-drift 10 --json .build/load.json

# The 5-second version `make test` runs, against the debug build.
load-smoke:
	$(SWIFT) build --product autograd-server
	python3 tools/with_server.py $(SERVER_DBG) -- python3 tools/loadtest.py --url {url} --pid {pid} \
	  --seconds 5 --warmup 3 --connections 64

.PHONY: fuzz fuzz-ci test-schemathesis load load-smoke

# ---- Clients (issue 14) -----------------------------------------------------------------
.PHONY: test-python-client test-generated-clients swift-client-generate

# The Python client (clients/python), installed as a user installs it (pip, into
# .build/py-client), against a live debug server; its retries against a stub server.
test-python-client:
	$(SWIFT) build --product autograd-server
	rm -rf .build/py-client
	python3 -m pip install -q --no-deps --target .build/py-client ./clients/python
	PYTHONPATH=.build/py-client python3 tools/with_server.py $(SERVER_DBG) -- python3 clients/python/tests/test_client.py {url}

# Clients generated from api/openapi.yaml, each sending the README request to a live
# server: openapi-python-client's (pinned in tools/requirements-test.txt), generated here;
# swift-openapi-generator's, committed (tools/openapi-swift-client, regenerated by
# `make swift-client-generate`) and compiled here.
SWIFT_CLIENT := tools/openapi-swift-client
test-generated-clients:
	$(SWIFT) build --product autograd-server
	rm -rf .build/generated-python
	python3 -m openapi_python_client generate --path api/openapi.yaml --meta none \
	  --output-path .build/generated-python/autograd_api_client
	python3 tools/with_server.py $(SERVER_DBG) -- python3 tools/check_generated_python.py --url {url} --generated .build/generated-python
	python3 $(SWIFT_CLIENT)/generate.py --check
	$(SWIFT) build --package-path $(SWIFT_CLIENT) --product readme-request
	python3 tools/with_server.py $(SERVER_DBG) -- $(SWIFT_CLIENT)/.build/debug/readme-request {url}

# Regenerates tools/openapi-swift-client/Sources/AutogradAPIClient from api/openapi.yaml
# with swift-openapi-generator (builds the generator once: minutes).
swift-client-generate:
	python3 $(SWIFT_CLIENT)/generate.py

clean:
	rm -rf .build
