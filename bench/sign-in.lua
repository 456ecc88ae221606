-- wrk script: sign-ins with rotating generated accounts (u1 … uN), one password.
local n = 0
local max = tonumber(os.getenv("ACCOUNTS") or "1000")
request = function()
  n = n + 1
  local body = string.format('{"login":"u%d","password":"Parta-demo-2026"}', (n % max) + 1)
  return wrk.format("POST", "/api/v1/session", { ["Content-Type"] = "application/json" }, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.1f rps=%.1f p50_ms=%.1f p99_ms=%.1f non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
