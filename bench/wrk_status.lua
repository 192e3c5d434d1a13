-- wrk script for bench/run.py: counts every response by status and by content, and stops
-- issuing requests when the measured window ends, so that no audited request is abandoned in
-- flight (an abandoned request would still commit its audit event and break the comparison of
-- events with successful responses).
--
-- Arguments (after `--`): WINDOW_SECONDS MARKER
--   a response is a success when its status is 2xx AND its body contains MARKER (so a sign-in
--   page, a refusal or an error page served with 200 would still count as an error).
-- The last line of output is `BENCH_JSON {...}` for run.py to parse.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  window = tonumber(args[1])
  marker = args[2]
  ok, bad, s2xx, s3xx, s4xx, s5xx = 0, 0, 0, 0, 0, 0
  started = now()
  last = started
end

function delay()
  -- After the window, a connection sends nothing more (wrk ends before the hour is up).
  if now() - started >= window then
    return 3600000
  end
  return 0
end

function response(status, headers, body)
  last = now()
  if status >= 200 and status < 300 then
    s2xx = s2xx + 1
  elseif status < 400 then
    s3xx = s3xx + 1
  elseif status < 500 then
    s4xx = s4xx + 1
  else
    s5xx = s5xx + 1
  end
  if status >= 200 and status < 300 and body ~= nil and string.find(body, marker, 1, true) then
    ok = ok + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local t = { ok = 0, bad = 0, s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0 }
  local first, final = nil, nil
  for _, thread in ipairs(threads) do
    for key, _ in pairs(t) do
      t[key] = t[key] + (thread:get(key) or 0)
    end
    local s, l = thread:get("started"), thread:get("last")
    if s ~= nil and (first == nil or s < first) then first = s end
    if l ~= nil and (final == nil or l > final) then final = l end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"ok":%d,"bad":%d,"status_2xx":%d,"status_3xx":%d,"status_4xx":%d,' ..
    '"status_5xx":%d,"elapsed_s":%.6f,"requests":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    t.ok, t.bad, t.s2xx, t.s3xx, t.s4xx, t.s5xx, (final or 0) - (first or 0), summary.requests,
    e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
