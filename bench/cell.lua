-- One benchmark cell: the same request over and over, from wrk.
--
-- The request comes from the environment (set by bench/run.sh):
--   BENCH_METHOD      GET (default) or POST
--   BENCH_PATH        request path
--   BENCH_BODY        request body (sent as application/json), optional
--   BENCH_AUTH        X-Auth-Token, optional
--   BENCH_SUBJECT     X-Subject-Token, optional
--   BENCH_EXPECT      with BENCH_STRICT=1: the one status that counts as right
--   BENCH_STRICT=1    check every response's exact status in Lua (costs wrk
--                     some CPU, which it shares with the daemon)
--
-- done() prints one line for run.sh:
--   RESULT requests seconds p50_us p99_us status_errors connect read write
--          timeout wrong_status
-- status_errors is wrk's own count of responses with status > 399.
local env = os.getenv

wrk.method = env("BENCH_METHOD") or "GET"
wrk.path = env("BENCH_PATH") or "/"
local body = env("BENCH_BODY")
if body and body ~= "" then
   wrk.body = body
   wrk.headers["Content-Type"] = "application/json"
end
local auth = env("BENCH_AUTH")
if auth and auth ~= "" then wrk.headers["X-Auth-Token"] = auth end
local subject = env("BENCH_SUBJECT")
if subject and subject ~= "" then wrk.headers["X-Subject-Token"] = subject end

local threads = {}

function setup(thread)
   threads[#threads + 1] = thread
end

wrong = 0

if env("BENCH_STRICT") == "1" then
   local expect = tonumber(env("BENCH_EXPECT") or "200")
   function response(status, headers, b)
      if status ~= expect then wrong = wrong + 1 end
   end
end

function done(summary, latency, requests)
   local w = 0
   for _, t in ipairs(threads) do w = w + (t:get("wrong") or 0) end
   local e = summary.errors
   io.write(string.format("RESULT %d %.6f %d %d %d %d %d %d %d %d\n",
                          summary.requests, summary.duration / 1e6,
                          latency:percentile(50), latency:percentile(99),
                          e.status, e.connect, e.read, e.write, e.timeout, w))
end
