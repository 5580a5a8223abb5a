-- PUTs BENCH_SIZE-byte objects to BENCH_PATH/<prefix><n>, a new name per
-- request (each wrk thread counts on its own: names never collide).
local env = os.getenv
local counter = 0
local prefix
local body = string.rep("x", tonumber(env("BENCH_SIZE") or "4096"))
local threads = 0

function setup(thread)
   threads = threads + 1
   thread:set("tid", threads)
end

function init(args)
   prefix = (env("BENCH_PREFIX") or "o") .. "-" .. tid .. "-"
   wrk.headers["X-Auth-Token"] = env("BENCH_AUTH")
end

function request()
   counter = counter + 1
   return wrk.format("PUT", env("BENCH_PATH") .. "/" .. prefix .. counter, nil, body)
end

function response(status, headers, body)
   if status ~= 201 then
      io.write("bad status ", status, "\n")
   end
end
