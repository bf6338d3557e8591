-- wrk2-style constant-rate load for wrk 4 (Debian's wrk has no -R): run with one connection
-- per thread (-t N -c N). Each connection sends on a fixed schedule of `rate` requests/s.
-- Latency counts from when a request was due, not when it was sent, whenever the connection
-- was behind schedule (the server was slow), so a stalled server shows up as latency instead
-- of as fewer requests (no coordinated omission); a request sent on schedule counts from its
-- send, so the timer's 1 ms granularity adds nothing.
--
-- Arguments after --: rate_per_connection (0: closed loop)  ids_file  kind (single|batch|selection)  batch_size
-- Environment: WRK_OUT = file for the latencies (microseconds) and the status counts.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } metro_timespec;
int clock_gettime(int clock_id, metro_timespec *tp);
]])
local timespec = ffi.new("metro_timespec")
local CLOCK_MONOTONIC = 1

local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) * 1e-9
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  closed_loop = tonumber(args[1]) == 0
  interval = closed_loop and 0 or 1 / tonumber(args[1])
  kind = args[3]
  batch_size = tonumber(args[4] or "50")
  ids = {}
  for line in io.lines(args[2]) do
    ids[#ids + 1] = line
  end
  math.randomseed(7 + id) -- reproducible draws, different per connection
  latencies, statuses = {}, {}
  first_send, last_response = nil, nil -- this connection's span, for its achieved rate
  scheduled = 0
  first_due = nil
  pending_start = nil -- when the request in flight counts from
end

function delay()
  if closed_loop then
    pending_start = nil -- each request counts from its send
    return 0
  end
  local t = now()
  if first_due == nil then
    first_due = t + math.random() * interval -- spread the connections over one interval
  end
  local due = first_due + scheduled * interval
  scheduled = scheduled + 1
  if due <= t then
    pending_start = due -- behind schedule: count from when it was due
    return 0
  end
  pending_start = nil -- on schedule: count from the send (request() sets it)
  return math.ceil((due - t) * 1000)
end

function request()
  if pending_start == nil then
    pending_start = now()
  end
  first_send = first_send or now()
  if kind == "batch" then
    local chosen = {}
    for i = 1, batch_size do
      chosen[i] = ids[math.random(#ids)]
    end
    local body = '{"customer_ids":[' .. table.concat(chosen, ",") .. "]}"
    return wrk.format("POST", "/recommendations/batch", { ["Content-Type"] = "application/json" }, body)
  end
  if kind == "selection" then
    return wrk.format("GET", "/offer-selections/" .. ids[math.random(#ids)])
  end
  return wrk.format("GET", "/recommendations/" .. ids[math.random(#ids)])
end

function response(status, headers, body)
  last_response = now()
  latencies[#latencies + 1] = math.floor((last_response - pending_start) * 1e6 + 0.5)
  statuses[status] = (statuses[status] or 0) + 1
  pending_start = nil
end

function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("WRK_OUT"), "w"))
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      out:write("status ", status, " ", count, "\n")
    end
    -- wrk starts each thread as soon as it is set up, so the threads' spans differ: the
    -- achieved rate is the sum of each connection's requests over its own span
    local first, last = thread:get("first_send"), thread:get("last_response")
    if first and last and last > first then
      out:write("rate ", #thread:get("latencies") / (last - first), "\n")
    end
    out:write("latencies ", table.concat(thread:get("latencies"), " "), "\n")
  end
  local errors = summary.errors
  out:write("socket_errors ", errors.connect + errors.read + errors.write + errors.timeout, "\n")
  out:close()
end
