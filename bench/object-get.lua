-- GETs (or HEADs, with BENCH_METHOD=HEAD) BENCH_PATH/o-<n> for n random in
-- [0, BENCH_COUNT): objects the benchmark stored before.
local env = os.getenv
local count = tonumber(env("BENCH_COUNT") or "1000")
local method = env("BENCH_METHOD") or "GET"

function init(args)
   wrk.headers["X-Auth-Token"] = env("BENCH_AUTH")
   math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
   return wrk.format(method, env("BENCH_PATH") .. "/o-" .. math.random(0, count - 1))
end

function response(status, headers, body)
   if status ~= 200 then
      io.write("bad status ", status, "\n")
   end
end
