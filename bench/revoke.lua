-- Revokes every token listed in BENCH_IN (DELETE auth/tokens with
-- X-Subject-Token), one revocation event each, and exits.  Run with -t1.
-- Prints "REVOKED ok other" before exiting; without that line the run hit
-- wrk's -d limit.
local env = os.getenv
local auth = env("BENCH_AUTH")
local ids = {}
for line in io.lines(env("BENCH_IN")) do
   if line ~= "" then ids[#ids + 1] = line end
end
local sent, ok, other = 0, 0, 0
local verified = false
local idle = wrk.format("GET", "/identity/v3")

function request()
   -- wrk calls request() once before the run to check it, and throws the
   -- answer away: do not spend a token on that
   if not verified then
      verified = true
      return idle
   end
   if sent < #ids then
      sent = sent + 1
      return wrk.format("DELETE", "/identity/v3/auth/tokens",
                        {["X-Auth-Token"] = auth, ["X-Subject-Token"] = ids[sent]})
   end
   -- all sent: the other connections wait for the last answers
   return idle
end

function delay()
   return sent < #ids and 0 or 50
end

function response(status, headers, body)
   if status == 204 then
      ok = ok + 1
   elseif status ~= 200 then
      other = other + 1
   end
   if ok + other >= #ids then
      io.write(string.format("REVOKED %d %d\n", ok, other))
      io.stdout:flush()
      os.exit(0)
   end
end
