-- wrk script for bench/overload.sh: more load than the server can take, with a pause per
-- connection (DELAY_MS) so that CONNECTIONS / DELAY offers a chosen rate.
-- MODE=diary: SESSIONS lines "cookie<TAB>student_id" (a diary week through the API);
-- MODE=save:  SESSIONS lines "cookie<TAB>csrf<TAB>class<TAB>subject<TAB>lesson,…<TAB>student,…".
-- Counts answers by kind: admitted (2xx), shed (503), other.
local mode = os.getenv("MODE") or "diary"
local rows = {}
for line in io.lines(os.getenv("SESSIONS")) do
  local f = {}
  for x in line:gmatch("[^\t]+") do f[#f + 1] = x end
  if mode == "save" then
    local students, lessons = {}, {}
    for id in f[6]:gmatch("[^,]+") do students[#students + 1] = id end
    for id in f[5]:gmatch("[^,]+") do lessons[#lessons + 1] = id end
    f[5], f[6] = lessons, students
  end
  rows[#rows + 1] = f
end
local pause = tonumber(os.getenv("DELAY_MS") or "0")
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
local n = 0
ok, shed, other = 0, 0, 0
init = function(args) math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "1", 16) % 1000) end
request = function()
  n = n + 1
  local r = rows[(n % #rows) + 1]
  if mode == "diary" then
    return wrk.format("GET", "/api/v1/students/" .. r[2] .. "/diary", { ["Cookie"] = r[1], ["Accept-Encoding"] = "gzip" })
  end
  r.k = (r.k or 0) + 1
  local lesson = r[5][(r.k % #r[5]) + 1]
  local marks = {}
  for i, s in ipairs(r[6]) do
    marks[i] = string.format('{"lesson_id":"%s","student_id":"%s","value":"%d","work_type":"classwork"}', lesson, s, math.random(2, 5))
  end
  return wrk.format("POST", "/api/v1/classes/" .. r[3] .. "/journal/" .. r[4],
    { ["Cookie"] = r[1], ["X-CSRF-Token"] = r[2], ["Content-Type"] = "application/json" },
    '{"marks":[' .. table.concat(marks, ",") .. ']}')
end
response = function(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1
  elseif status == 503 then shed = shed + 1
  else other = other + 1 end
end
delay = function() return pause > 0 and math.random(0, 2 * pause) or 0 end
done = function(summary, latency, requests)
  local a, s, o = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + (t:get("ok") or 0); s = s + (t:get("shed") or 0); o = o + (t:get("other") or 0)
  end
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT mode=%s offered_rps=%.0f admitted_rps=%.0f shed_rps=%.0f other=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f socket_errors=%d\n",
    mode, summary.requests / secs, a / secs, s / secs, o,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
