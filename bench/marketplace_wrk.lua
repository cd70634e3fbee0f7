-- wrk script of bench/marketplace.py: each request takes the next path of a pool (one
-- per line in the file given after `--`, then the number of threads and where to start),
-- each thread starting at its own place in it;
-- every response whose status is not 2xx is counted. At the end, one line
-- "BENCH_RESULT {json}" with the requests, duration, latency percentiles (microseconds),
-- socket errors and non-2xx responses.
--   wrk -t2 -c16 -d30s --latency -s bench/marketplace_wrk.lua http://127.0.0.1:8000 -- paths.txt 2 0

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local paths = {}
local index = 1
bad = 0
first_bad = ""

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  local share = math.floor(#paths / tonumber(args[2] or "1"))
  local start = tonumber(args[3] or "0")
  index = (start + id * share) % #paths + 1
end

function request()
  local path = paths[index]
  index = index % #paths + 1
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if first_bad == "" then
      first_bad = tostring(status)
    end
  end
end

function done(summary, latency, requests)
  local non_2xx = 0
  local statuses = {}
  for _, thread in ipairs(threads) do
    non_2xx = non_2xx + thread:get("bad")
    local seen = thread:get("first_bad")
    if seen ~= "" then
      statuses[#statuses + 1] = '"' .. seen .. '"'
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"timeouts": %d, "non_2xx": %d, "bad_statuses": [%s]}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean,
    e.connect, e.read, e.write, e.timeout, non_2xx, table.concat(statuses, ", ")))
end
