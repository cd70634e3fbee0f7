-- wrk script of bench/referrals.py: each request POSTs a new referral, as an integrator
-- sends them: a JSON body whose `reference` is unique, with its own `Idempotency-Key`
-- (the run's label, the thread's number and a counter of the thread). Arguments after
-- `--`: the body's template (a file holding @REFERENCE@ once), the bearer token, the
-- run's label and the path.
-- Every answer whose status is not 2xx is counted, and so is a replayed one
-- (`Idempotent-Replayed`: no case was written). At the end, one line
-- "BENCH_RESULT {json}" with the requests, duration, latency percentiles
-- (microseconds), socket errors and failed answers.
--   wrk -t2 -c16 -d30s -s bench/referrals_wrk.lua http://127.0.0.1:8000 -- body.json TOKEN run1 /api/v1/referrals

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local PLACEHOLDER = "@REFERENCE@"
local before, after, label, path
local headers = {}
local sent = 0
bad = 0
replayed = 0
first_bad = ""

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local template = file:read("*a")
  file:close()
  local at = assert(template:find(PLACEHOLDER, 1, true), "no @REFERENCE@ in the body")
  before = template:sub(1, at - 1)
  after = template:sub(at + #PLACEHOLDER)
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. args[2]
  label = args[3]
  path = args[4]
end

function request()
  sent = sent + 1
  local key = label .. "-" .. id .. "-" .. sent
  headers["Idempotency-Key"] = key
  return wrk.format("POST", path, headers, before .. key .. after)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if first_bad == "" then
      first_bad = tostring(status)
    end
  elseif headers["Idempotent-Replayed"] then
    replayed = replayed + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  local again = 0
  local statuses = {}
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("bad")
    again = again + thread:get("replayed")
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
    '"timeouts": %d, "non_2xx": %d, "replayed": %d, "bad_statuses": [%s]}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean,
    e.connect, e.read, e.write, e.timeout, failed, again, table.concat(statuses, ", ")))
end
