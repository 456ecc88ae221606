-- wrk script: authenticated person-card reads, rotating over the ids in ids.txt.
-- Usage: COOKIE="parta_session=…" wrk -s person-card.lua …
local ids = {}
local cookie = os.getenv("COOKIE")
for line in io.lines(os.getenv("IDS") or "ids.txt") do ids[#ids + 1] = line end
local n = 0
request = function()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  return wrk.format("GET", "/api/v1/persons/" .. id, { ["Cookie"] = cookie })
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.1f rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
