#!/bin/bash
# The container's health probe (HEALTHCHECK, compose): GET PATH (default /healthz) on the
# server's own port, healthy on a 200. The image has no curl: plain HTTP goes through
# bash's /dev/tcp, HTTPS through `openssl s_client` (the certificate is not verified: this
# only asks whether this very process answers). HTTPS when AUTOGRAD_TLS_CERT is set; when
# it is not (TLS may be turned on by flags instead), plain HTTP is tried first, then TLS.
#   autograd-healthcheck [PATH]        exit 0 healthy, 1 not
# A TLS server closes on the plain attempt; writing to it must fail, not kill the script.
trap '' PIPE
path="${1:-/healthz}"
port="${AUTOGRAD_PORT:-${PORT:-8080}}"
host="${AUTOGRAD_HOST:-127.0.0.1}"
case "$host" in 0.0.0.0|"") host=127.0.0.1 ;; ::|"[::]") host=::1 ;; esac
request="GET $path HTTP/1.0\r\nHost: localhost\r\n\r\n"

plain() {
    exec 3<>"/dev/tcp/$host/$port" || return 1
    printf "$request" >&3
    head -n 1 <&3 | grep -q ' 200 '
}

tls() {
    target="$host:$port"
    case "$host" in *:*) target="[$host]:$port" ;; esac
    printf "$request" | openssl s_client -quiet -connect "$target" 2>/dev/null | head -n 1 | grep -q ' 200 '
}

if [ -n "$AUTOGRAD_TLS_CERT" ]; then
    tls
else
    plain 2>/dev/null || tls
fi
