-- wrk script: OneRoster REST reads of one school by its administration's session.
-- COOKIE: the session cookie; PATHS: paths separated by "|", asked in turn.
local cookie = os.getenv("COOKIE")
local paths = {}
for p in string.gmatch(os.getenv("PATHS"), "[^|]+") do paths[#paths + 1] = p end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1], { ["Cookie"] = cookie })
end
