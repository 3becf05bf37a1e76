-- wrk script for `make bench`: each wrk thread sends its own session cookie (one signed-in user
-- per connection, as in a clinic), and the summary is printed as one JSON line for tests/bench/run.py.
-- Cookies come from the environment: BENCH_COOKIES="sessionid=a;sessionid=b;..." (one per thread).

local cookies = {}
for cookie in string.gmatch(os.getenv("BENCH_COOKIES") or "", "[^;]+") do
  table.insert(cookies, cookie)
end
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("cookie", cookies[((counter - 1) % #cookies) + 1])
end

function init(args)
  wrk.headers["Cookie"] = cookie
  wrk.headers["Accept"] = "text/html"
end

function done(summary, latency, requests)
  local ms = function(us) return us / 1000.0 end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_s": %.3f, "bytes": %d, "p50_ms": %.3f, "p90_ms": %.3f, '
      .. '"p95_ms": %.3f, "p99_ms": %.3f, "mean_ms": %.3f, "max_ms": %.3f, "errors": {"connect": %d, '
      .. '"read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration / 1e6, summary.bytes,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(95)),
    ms(latency:percentile(99)), ms(latency.mean), ms(latency.max),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
