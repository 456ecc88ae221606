-- wrk script: chats of many students, each read by their own session.
-- SESSIONS: lines "cookie<TAB>chat_id"; KIND=history (the newest page of the chat),
-- history-old (a random page deep in the history), list (the person's chats with their
-- unread counts).
local rows = {}
for line in io.lines(os.getenv("SESSIONS")) do
  local cookie, chat = line:match("([^\t]+)\t([^\t]+)")
  rows[#rows + 1] = { cookie, chat }
end
local kind = os.getenv("KIND") or "history"
local depth = tonumber(os.getenv("DEPTH") or "1000")
local n = 0
-- Searches: a word in another form, two words, a misspelt word (no exact match: the
-- fuzzy pass), a word nobody wrote (both passes, nothing found).
local queries = { "%D0%BA%D0%BE%D0%BD%D1%82%D1%80%D0%BE%D0%BB%D1%8C%D0%BD%D1%83%D1%8E",
  "%D1%81%D0%BE%D0%B1%D1%80%D0%B0%D0%BD%D0%B8%D1%8F+%D1%87%D0%B5%D1%82%D0%B2%D0%B5%D1%80%D0%B3",
  "%D1%8D%D0%BA%D1%81%D0%BA%D1%83%D1%80%D1%81%D0%B5%D1%8F",
  "%D0%B0%D1%81%D1%82%D1%80%D0%BE%D0%BD%D0%BE%D0%BC%D0%B8%D1%8F" }
request = function()
  n = n + 1
  local r = rows[(n % #rows) + 1]
  local path
  if kind == "list" then
    path = "/api/v1/chats"
  elseif kind == "search" then
    path = "/api/v1/chats/search?q=" .. queries[(n % #queries) + 1]
  elseif kind == "history-old" then
    path = "/api/v1/chats/" .. r[2] .. "/messages?before=" .. math.random(2, depth)
  else
    path = "/api/v1/chats/" .. r[2] .. "/messages"
  end
  return wrk.format("GET", path, { ["Cookie"] = r[1], ["Accept-Encoding"] = "gzip" })
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.1f rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
