#!/bin/bash
# Docker HEALTHCHECK of every VOC app container: GET /readyz on the port the
# app listens on (GATEWAY_PORT, HEALTH_PORT or LLM_SIM_PORT in its
# environment). Exit 0 when ready, 1 otherwise.
#
# bash and its /dev/tcp, not node: Docker runs this every 15 s in every app
# container, inside the container's CPU share. A node process costs ~50 ms of
# CPU and ~40 MB to start; at the batch class's cpu_shares on a loaded host
# it took over the 5-s timeout and healthy workers were marked unhealthy
# (test:containers in CI). bash costs ~2 ms. The image has no curl.
port="${GATEWAY_PORT:-${HEALTH_PORT:-${LLM_SIM_PORT:-}}}"
if [ -z "$port" ]; then
  echo "healthcheck: none of GATEWAY_PORT, HEALTH_PORT, LLM_SIM_PORT is set" >&2
  exit 1
fi
if ! exec 3<>"/dev/tcp/127.0.0.1/$port"; then
  echo "healthcheck: nothing listens on port $port" >&2
  exit 1
fi
# HTTP/1.0: the server closes the connection after its answer.
printf 'GET /readyz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
if ! IFS= read -r -t 8 status <&3; then
  echo "healthcheck: /readyz on port $port gave no answer within 8 s" >&2
  exit 1
fi
case "$status" in
  "HTTP/1."?" 200 "* | "HTTP/1."?" 200"$'\r') exit 0 ;;
esac
echo "healthcheck: /readyz answered ${status%$'\r'}: $(timeout 2 head -c 500 <&3 | tr -s '\r\n' ' ')" >&2
exit 1
