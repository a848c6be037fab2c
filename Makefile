# SwiftAutograd: `make run` serves on 127.0.0.1:8080, `make test` runs every test.
# Both install the system packages they need when run as root on Debian/Ubuntu.

SWIFT      ?= swift
HOST       ?= 127.0.0.1
PORT       ?= 8080
APT_PKGS   := libmicrohttpd-dev libopenblas-dev pkg-config
PY_PKGS    := openapi-spec-validator jsonschema pyyaml

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
	@python3 -c "import openapi_spec_validator, jsonschema, yaml" 2>/dev/null || \
	  python3 -m pip install -q $(PY_PKGS)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product autograd-server

run: release
	$$($(SWIFT) build -c release --show-bin-path)/autograd-server --host $(HOST) --port $(PORT)

test: deps py-deps test-swift test-api

test-swift:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel --num-workers 2

test-api:
	python3 api/check_openapi.py

clean:
	rm -rf .build
