#!/bin/sh
# Container entrypoint: PORT (the common container convention) feeds AUTOGRAD_PORT unless
# that is set itself; every other setting comes from AUTOGRAD_* variables, which
# autograd-server reads itself (a flag given after the image name wins over its variable).
set -e
: "${AUTOGRAD_PORT:=${PORT:-8080}}"
: "${AUTOGRAD_HOST:=0.0.0.0}"
export AUTOGRAD_PORT AUTOGRAD_HOST
exec /usr/local/bin/autograd-server "$@"
