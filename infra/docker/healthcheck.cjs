// Docker HEALTHCHECK of every VOC app container: GET /readyz on the port the
// app listens on (GATEWAY_PORT, HEALTH_PORT or LLM_SIM_PORT in its
// environment). Exit 0 when ready, 1 otherwise. Plain Node: the image has no curl.
'use strict';

const port = process.env.GATEWAY_PORT || process.env.HEALTH_PORT || process.env.LLM_SIM_PORT;
if (!port) {
  console.error('healthcheck: none of GATEWAY_PORT, HEALTH_PORT, LLM_SIM_PORT is set');
  process.exit(1);
}

fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(4000) }).then(
  async (res) => {
    if (!res.ok) console.error(`healthcheck: /readyz answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
    process.exit(res.ok ? 0 : 1);
  },
  (err) => {
    console.error(`healthcheck: /readyz on port ${port}: ${err.message}`);
    process.exit(1);
  },
);
