-- wrk script for bench/store_backends.py: one partner-API workload with HTTP Basic auth.
-- Arguments (after --): MODE [PREFIX]
--   get        sends the URL given to wrk as it is (reads: /sources?source_id=..., /statistics/cdrs)
--   customers  POSTs /customers, each request with a new custnr PREFIX-<thread>-<counter>-<random>;
--              PREFIX must differ between wrk processes running at the same time.
--   rename     PUTs the URL given (/customers?customer_id=...) with a new name each time.
-- The Authorization header value comes from env CALLSIGHT_BENCH_AUTH, never from the command
-- line (it would show in ps).
local counter = 0
local thread_ids = 0
local mode, prefix, static_request

function setup(thread)
  thread_ids = thread_ids + 1
  thread:set("thread_id", thread_ids)
end

function init(args)
  mode = args[1] or error("usage: wrk ... -s store_api.lua URL -- get|customers|rename [PREFIX]")
  prefix = args[2] or tostring(os.time())
  -- Each thread has its own Lua state; without a seed every state draws the same numbers.
  math.randomseed(os.time() * 1000 + (thread_id or 0))
  wrk.headers["Authorization"] = os.getenv("CALLSIGHT_BENCH_AUTH") or
                                 error("CALLSIGHT_BENCH_AUTH unset")
  if mode == "customers" or mode == "rename" then
    wrk.method = mode == "customers" and "POST" or "PUT"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  elseif mode == "get" then
    static_request = wrk.format()
  else
    error("unknown mode " .. mode)
  end
end

function request()
  if mode == "get" then return static_request end
  counter = counter + 1
  if mode == "rename" then
    return wrk.format(nil, nil, nil, string.format("name=Bench+%s-%d-%d", prefix, thread_id or 0,
                                                   counter))
  end
  local custnr = string.format("%s-%d-%d-%d", prefix, thread_id or 0, counter,
                               math.random(1, 1000000000))
  return wrk.format(nil, nil, nil, "name=Bench+" .. custnr .. "&custnr=" .. custnr)
end

-- One machine-readable line; store_backends.py parses it.
function done(summary, latency, requests)
  local socket_errors = summary.errors.connect + summary.errors.read + summary.errors.write +
                        summary.errors.timeout
  io.write(string.format(
      "STORE_BENCH requests=%d seconds=%.3f p50_us=%d p99_us=%d max_us=%d non_2xx=%d " ..
      "socket_errors=%d\n",
      summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
      latency.max, summary.errors.status, socket_errors))
end
