# SwiftAutograd: `make run` serves on 127.0.0.1:8080, `make test` runs every test.
# Both install the system packages they need when run as root on Debian/Ubuntu.

SWIFT      ?= swift
HOST       ?= 127.0.0.1
PORT       ?= 8080
APT_PKGS   := libmicrohttpd-dev libopenblas-dev pkg-config
PY_PKGS    := openapi-spec-validator jsonschema pyyaml prometheus_client
# Only for `make test`: nginx in front of two servers (docker/tests), dot for POST /graph SVG.
TEST_APT_PKGS := nginx graphviz
PREFIX     ?= /usr/local

.PHONY: all deps py-deps build release run test test-swift test-api clean

all: build

# System libraries: libmicrohttpd (HTTP), OpenBLAS (matrix products), pkg-config (to find them).
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

# Python tools for checking api/openapi.yaml (only used by `make test`).
py-deps:
	@python3 -c "import openapi_spec_validator, jsonschema, yaml, prometheus_client" 2>/dev/null || \
	  python3 -m pip install -q $(PY_PKGS)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product autograd-server

run: release
	$$($(SWIFT) build -c release --show-bin-path)/autograd-server --host $(HOST) --port $(PORT)

test: deps test-deps py-deps test-swift test-api

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel --num-workers 2

test-api:
	python3 api/check_openapi.py

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
# servers; /metrics, /readyz, /openapi.yaml, /graph and request ids against a live server.
test-deploy:
	python3 docker/tests/test_manifests.py
	python3 docker/tests/test_nginx.py
	python3 api/check_operability.py

clean:
	rm -rf .build
