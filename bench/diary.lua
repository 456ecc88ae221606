-- wrk script: diary weeks of many students, each read by their own session.
-- SESSIONS: lines "cookie<TAB>student_id"; KIND=api|html.
-- ANY_WEEK=1: a random week of the first half-year instead of the current one, so that
-- most reads miss the in-memory class weeks (the pessimistic case).
local rows = {}
for line in io.lines(os.getenv("SESSIONS")) do
  local cookie, student = line:match("([^\t]+)\t([^\t]+)")
  rows[#rows + 1] = { cookie, student }
end
local kind = os.getenv("KIND") or "api"
local any_week = os.getenv("ANY_WEEK") == "1"
local n = 0
-- Mondays from 2026-09-07 for 16 weeks.
local function week()
  local t = os.time({ year = 2026, month = 9, day = 7, hour = 12 }) + 86400 * 7 * math.random(0, 15)
  return os.date("%Y-%m-%d", t)
end
request = function()
  n = n + 1
  local r = rows[(n % #rows) + 1]
  local path = kind == "html" and ("/diary?student=" .. r[2]) or ("/api/v1/students/" .. r[2] .. "/diary")
  if any_week then
    path = path .. (kind == "html" and "&week=" or "?week=") .. week()
  end
  return wrk.format("GET", path, { ["Cookie"] = r[1], ["Accept-Encoding"] = "gzip" })
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.1f rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
