-- wrk script for bench/run: the browser script's requests to /dni/number and /dni/heartbeat,
-- from an allowed site (Origin header), with a browser's user agent.
-- Arguments (after --): MODE ORIGIN [ADVID POOL_ID SESSION_ID]
--   number     sends the URL given to wrk as it is: /dni/number?advid=...&url=... asks for a
--              new session each time; with &session_id=... it is a reload of a held session
--   heartbeat  POSTs /dni/heartbeat for ADVID, POOL_ID and SESSION_ID
--   mixed      new visitors (the URL given to wrk) and heartbeats in turn: each heartbeat is
--              for one of the sessions that were handed a number (not the fallback), taken
--              round-robin, so the held sessions keep their leases as their pages would;
--              ADVID is needed, POOL_ID and SESSION_ID are read from the answers
local mode, static_request, advid
local held = {}  -- "pool_id=...&session_id=..." of the sessions that hold a number
local next_held = 1
local turn = 0
local heartbeat_headers

function init(args)
  mode = args[1] or error("usage: wrk ... -s dni.lua URL -- number|heartbeat|mixed ORIGIN [...]")
  wrk.headers["Origin"] = args[2] or error("ORIGIN missing")
  wrk.headers["User-Agent"] =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari"
  if mode == "heartbeat" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.body = string.format("advid=%s&pool_id=%s&session_id=%s", args[3], args[4], args[5])
  elseif mode == "mixed" then
    advid = args[3] or error("ADVID missing")
    heartbeat_headers = {}
    for name, value in pairs(wrk.headers) do heartbeat_headers[name] = value end
    heartbeat_headers["Content-Type"] = "application/x-www-form-urlencoded"
  elseif mode ~= "number" then
    error("unknown mode " .. mode)
  end
  static_request = wrk.format()
end

function request()
  if mode ~= "mixed" then return static_request end
  turn = turn + 1
  if turn % 2 == 1 or #held == 0 then return static_request end
  local session = held[next_held]
  next_held = next_held % #held + 1
  return wrk.format("POST", "/dni/heartbeat", heartbeat_headers,
                    "advid=" .. advid .. "&" .. session)
end

function response(status, headers, body)
  if mode ~= "mixed" or status ~= 200 or not body then return end
  if body:find('"shown":"assigned"', 1, true) then
    local pool = body:match('"pool_id":"(%d+)"')
    local session = body:match('"session_id":"([%w_%-]+)"')
    if pool and session then
      held[#held + 1] = "pool_id=" .. pool .. "&session_id=" .. session
    end
  end
end
