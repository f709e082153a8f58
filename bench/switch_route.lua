-- wrk script: POST /switch/route as the Kamailio edge does, one fresh call_id per request.
-- Arguments (after --): DIALLED [CALLER]. The secret comes from env CALLSIGHT_SWITCH_SECRET,
-- never from the command line (it would show in ps).
local counter = 0
local thread_ids = 0
local dialled, caller

function setup(thread)
  thread_ids = thread_ids + 1
  thread:set("thread_id", thread_ids)
end

function init(args)
  dialled = args[1] or error("usage: wrk ... -s switch_route.lua URL -- DIALLED [CALLER]")
  caller = args[2] or "+46701111111"
  local secret = os.getenv("CALLSIGHT_SWITCH_SECRET") or error("CALLSIGHT_SWITCH_SECRET unset")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Callsight-Switch-Secret"] = secret
end

function request()
  counter = counter + 1
  -- thread_id keeps call_ids distinct across wrk threads, each of which has its own Lua state.
  local call_id = string.format("bench-%d-%d-%d", os.time(), thread_id or 0, counter)
  local body = string.format('{"call_id":"%s","caller":"%s","dialled":"%s"}',
                             call_id, caller, dialled)
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local non_2xx = summary.errors.status
  local socket_errors = summary.errors.connect + summary.errors.read + summary.errors.write +
                        summary.errors.timeout
  io.write("----- switch_route -----\n")
  io.write(string.format("requests      %d in %.1f s\n", summary.requests, seconds))
  io.write(string.format("requests/s    %.0f\n", summary.requests / seconds))
  io.write(string.format("latency p50   %.2f ms\n", latency:percentile(50) / 1000))
  io.write(string.format("latency p99   %.2f ms\n", latency:percentile(99) / 1000))
  io.write(string.format("latency max   %.2f ms\n", latency.max / 1000))
  io.write(string.format("non-2xx       %d\n", non_2xx))
  io.write(string.format("socket errors %d\n", socket_errors))
end
