-- wrk script of bench/web/run.sh with BURST=1: the login burst of issue 14
-- item 2 during the load — unauthenticated `POST /api/login` with wrong
-- passwords for changing account names, as fast as the connections allow
-- (the server counts attempts before hashing and bounds concurrent Argon2:
-- most answers are 429, none may slow the logged-in users down).
-- Usage: wrk -tN -cM -s burst.lua URL
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  i = 0
end

function request()
  i = i + 1
  local body = string.format('{"username":"burst%d_%d","password":"wrong password %d"}', id, i % 50, i)
  return wrk.format("POST", "/api/login", { ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  io.write(string.format("requests %d in %.1f s (%.1f/s)\n", summary.requests,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({ 50, 99 }) do
    io.write(string.format("latency p%g %.1f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("non-2xx (refused or rate-limited, expected) %d, timeouts %d\n",
    summary.errors.status, summary.errors.timeout))
end
