-- wrk script for bench/run: the browser script's requests to /dni/number and /dni/heartbeat,
-- from an allowed site (Origin header), with a browser's user agent.
-- Arguments (after --): MODE ORIGIN [ADVID POOL_ID SESSION_ID]
--   number     sends the URL given to wrk as it is: /dni/number?advid=...&url=... asks for a
--              new session each time; with &session_id=... it is a reload of a held session
--   heartbeat  POSTs /dni/heartbeat for ADVID, POOL_ID and SESSION_ID
local mode, static_request

function init(args)
  mode = args[1] or error("usage: wrk ... -s dni.lua URL -- number|heartbeat ORIGIN [...]")
  wrk.headers["Origin"] = args[2] or error("ORIGIN missing")
  wrk.headers["User-Agent"] =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari"
  if mode == "heartbeat" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.body = string.format("advid=%s&pool_id=%s&session_id=%s", args[3], args[4], args[5])
  elseif mode ~= "number" then
    error("unknown mode " .. mode)
  end
  static_request = wrk.format()
end

function request()
  return static_request
end
