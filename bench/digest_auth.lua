-- wrk script: GET the URL given to wrk with HTTP Digest auth (RFC 7616, MD5, qop=auth), as
-- the official PHP and Python clients authenticate. Every request carries a fresh response
-- computed for an increasing nonce count, so the server's replay check sees real traffic.
-- Arguments (after --): USERNAME NONCE[,NONCE...] OPAQUE. bench/run fetches one nonce per
-- connection from 401 challenges and each wrk thread takes its share, using them in turn: the
-- server allows a nonce's counts to arrive only slightly out of order (64 behind the highest),
-- so a request held up in the server must not see many later counts of its nonce overtake it,
-- as they would if every connection shared one. A nonce lives 300 s, so must the run at most.
-- The password comes from env CALLSIGHT_BENCH_PASSWORD, never from the command line.
local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local lshift, rshift, rol, tobit = bit.lshift, bit.rshift, bit.rol, bit.tobit

-- MD5 (RFC 1321) over 32-bit words; LuaJIT's bit ops are 32-bit signed, tobit keeps sums so.
local K, S = {}, {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21}
for i = 0, 63 do K[i] = tobit(math.floor(math.abs(math.sin(i + 1)) * 2 ^ 32)) end

local function md5_hex(message)
  local length = #message
  message = message .. "\128" .. string.rep("\0", (55 - length) % 64)
  local bits = length * 8
  for _ = 1, 8 do
    message = message .. string.char(bits % 256)
    bits = math.floor(bits / 256)
  end
  local a0, b0, c0, d0 = 0x67452301, tobit(0xefcdab89), tobit(0x98badcfe), 0x10325476
  local m = {}
  for chunk = 1, #message, 64 do
    for i = 0, 15 do
      local p1, p2, p3, p4 = message:byte(chunk + i * 4, chunk + i * 4 + 3)
      m[i] = bor(p1, lshift(p2, 8), lshift(p3, 16), lshift(p4, 24))
    end
    local a, b, c, d = a0, b0, c0, d0
    for i = 0, 63 do
      local f, g
      if i < 16 then
        f, g = bor(band(b, c), band(bnot(b), d)), i
      elseif i < 32 then
        f, g = bor(band(d, b), band(bnot(d), c)), (5 * i + 1) % 16
      elseif i < 48 then
        f, g = bxor(b, c, d), (3 * i + 5) % 16
      else
        f, g = bxor(c, bor(b, bnot(d))), (7 * i) % 16
      end
      local shift = S[math.floor(i / 16) * 4 + i % 4 + 1]
      a, b, c, d = d, tobit(b + rol(tobit(a + f + K[i] + m[g]), shift)), b, c
    end
    a0, b0 = tobit(a0 + a), tobit(b0 + b)
    c0, d0 = tobit(c0 + c), tobit(d0 + d)
  end
  local out = {}
  for _, word in ipairs({a0, b0, c0, d0}) do
    for byte = 0, 3 do out[#out + 1] = string.format("%02x", band(rshift(word, byte * 8), 0xff)) end
  end
  return table.concat(out)
end

local thread_ids = 0
local username, opaque, ha1, ha2, uri
local nonces = {}    -- this thread's share
local counters = {}  -- the last count sent with each of them
local turn = 0

function setup(thread)
  thread_ids = thread_ids + 1
  thread:set("thread_id", thread_ids)
end

function init(args)
  assert(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e", "md5 self-test failed")
  username = args[1] or error("usage: wrk ... -s digest_auth.lua URL -- USER NONCES OPAQUE")
  local all = {}
  for n in (args[2] or ""):gmatch("[^,]+") do all[#all + 1] = n end
  -- Thread k of t takes every t-th nonce from the k-th on; bench/run sends at least t.
  local threads = tonumber(os.getenv("CALLSIGHT_BENCH_WRK_THREADS") or "1")
  for i = thread_id, #all, threads do
    nonces[#nonces + 1] = all[i]
    counters[#nonces] = 0
  end
  assert(#nonces > 0, "need a nonce for wrk thread " .. tostring(thread_id))
  opaque = args[3] or error("no opaque")
  local password = os.getenv("CALLSIGHT_BENCH_PASSWORD") or error("CALLSIGHT_BENCH_PASSWORD unset")
  uri = wrk.path
  ha1 = md5_hex(username .. ":Callsight API:" .. password)
  ha2 = md5_hex(wrk.method .. ":" .. uri)
end

function request()
  turn = turn % #nonces + 1
  local nonce = nonces[turn]
  counters[turn] = counters[turn] + 1
  local counter = counters[turn]
  local nc = string.format("%08x", counter)
  local cnonce = string.format("%x%x%x", thread_id, turn, counter)
  local response = md5_hex(ha1 .. ":" .. nonce .. ":" .. nc .. ":" .. cnonce .. ":auth:" .. ha2)
  local header = string.format(
      'Digest username="%s", realm="Callsight API", nonce="%s", uri="%s", algorithm=MD5, ' ..
      'qop=auth, nc=%s, cnonce="%s", response="%s", opaque="%s"',
      username, nonce, uri, nc, cnonce, response, opaque)
  return wrk.format(nil, nil, {Authorization = header})
end
