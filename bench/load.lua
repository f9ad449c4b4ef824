-- wrk script of `npm run bench`: the request (from BENCH_* variables set by scripts/bench.mjs) and
-- one machine-readable result line. With BENCH_SIGNUP_PREFIX every request signs up a new email.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.body = os.getenv("BENCH_BODY")

local signup_prefix = os.getenv("BENCH_SIGNUP_PREFIX")
local password = os.getenv("BENCH_PASSWORD")
local threads = 0
local sent = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_tag", tostring(threads))
end

if signup_prefix then
  function request()
    sent = sent + 1
    local body = string.format('{"email":"%s-%s-%d@example.com","password":"%s"}', signup_prefix, thread_tag, sent, password)
    return wrk.format(nil, nil, nil, body)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
