-- wrk script: POST the file named by $WRK_BODY (default: the README example) as JSON.
local path = os.getenv("WRK_BODY") or "api/examples/seed-linear-mse.json"
local f = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

-- One JSON line on stdout with the figures http_bench.py reads.
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '{"wrk": true, "requests": %d, "seconds": %.3f, "requests_per_s": %.1f, "errors": %d, "latency_p50_us": %d, "latency_p99_us": %d}\n',
    summary.requests, secs, summary.requests / secs, errors, latency:percentile(50), latency:percentile(99)))
end
