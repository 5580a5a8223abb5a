-- Issues BENCH_COUNT tokens with the token method (POST auth/tokens with
-- {"auth":{"identity":{"methods":["token"],"token":{"id":BENCH_AUTH}}}}),
-- writes their ids to BENCH_OUT, one per line, and exits.  Run with -t1.
-- Prints "ISSUED ok other" before exiting; without that line the run hit
-- wrk's -d limit.
local env = os.getenv
local token = env("BENCH_AUTH")
local want = tonumber(env("BENCH_COUNT"))
local out
local ok, other = 0, 0

wrk.method = "POST"
wrk.path = "/identity/v3/auth/tokens"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"auth":{"identity":{"methods":["token"],"token":{"id":"' .. token .. '"}}}}'

function init(args)
   out = assert(io.open(env("BENCH_OUT"), "w"))
end

function response(status, headers, body)
   local id = headers["X-Subject-Token"] or headers["x-subject-token"]
   if status == 201 and id then
      ok = ok + 1
      out:write(id, "\n")
   else
      other = other + 1
   end
   if ok >= want or other > 100 then
      out:close()
      io.write(string.format("ISSUED %d %d\n", ok, other))
      io.stdout:flush()
      os.exit(0)
   end
end
