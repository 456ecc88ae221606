-- wrk script: teachers saving the marks of a whole class in one request each.
-- SESSIONS: lines "cookie<TAB>csrf<TAB>class<TAB>subject<TAB>lesson,lesson,…<TAB>student,student,…";
-- each save of a session goes to its next lesson (a student has at most 3 marks a lesson).
-- THINK_MS: mean pause of each connection between saves (a teacher does not save non-stop).
-- Counts the marks the server says it wrote, to compare with the database afterwards.
local rows = {}
for line in io.lines(os.getenv("SESSIONS")) do
  local c, t, cl, s, l, st = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)")
  local students, lessons = {}, {}
  for id in st:gmatch("[^,]+") do students[#students + 1] = id end
  for id in l:gmatch("[^,]+") do lessons[#lessons + 1] = id end
  rows[#rows + 1] = { c, t, cl, s, lessons, students }
end
local think = tonumber(os.getenv("THINK_MS") or "0")
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
local n = 0
written = 0 -- global: read by done() through thread:get
init = function(args) math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "1", 16) % 1000) end
request = function()
  n = n + 1
  local r = rows[(n % #rows) + 1]
  -- The session's lessons in turn (a student has at most 3 marks a lesson).
  r.k = (r.k or 0) + 1
  local lesson = r[5][(r.k % #r[5]) + 1]
  local marks = {}
  for i, s in ipairs(r[6]) do
    marks[i] = string.format('{"lesson_id":"%s","student_id":"%s","value":"%d","work_type":"classwork"}', lesson, s, math.random(2, 5))
  end
  local body = '{"marks":[' .. table.concat(marks, ",") .. ']}'
  return wrk.format("POST", "/api/v1/classes/" .. r[3] .. "/journal/" .. r[4],
    { ["Cookie"] = r[1], ["X-CSRF-Token"] = r[2], ["Content-Type"] = "application/json" }, body)
end
capped, shed = 0, 0
response = function(status, headers, body)
  if status == 200 then
    written = written + tonumber(body:match('"marks_written":(%d+)') or "0")
  elseif status == 503 then
    shed = shed + 1
  elseif body:find("больше не ставится", 1, true) then
    capped = capped + 1
  end
end
-- Random pauses around THINK_MS, so teachers do not save in lockstep waves.
delay = function() return think > 0 and math.random(0, 2 * think) or 0 end
done = function(summary, latency, requests)
  local total, c, sh = 0, 0, 0
  for _, t in ipairs(threads) do
    total = total + (t:get("written") or 0); c = c + (t:get("capped") or 0); sh = sh + (t:get("shed") or 0)
  end
  io.write(string.format("RESULT requests=%d duration_s=%.1f rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d marks_written=%d capped=%d shed=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status, total, c, sh))
end
