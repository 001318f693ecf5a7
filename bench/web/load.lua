-- wrk script of bench/web/run.sh: each wrk thread is one user with one
-- connection, its own session cookie and its own list of URLs (written by
-- prepare.py into DIR/userN.txt: the cookie on the first line, then URLs).
-- Usage: wrk -tN -cN -s load.lua URL -- DIR
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  local file = args[1] .. "/user" .. id .. ".txt"
  urls = {}
  cookie = nil
  for line in io.lines(file) do
    if cookie == nil then
      cookie = line
    else
      table.insert(urls, line)
    end
  end
  i = 0
end

function request()
  i = i + 1
  local u = urls[((i - 1) % #urls) + 1]
  return wrk.format("GET", u, { ["Cookie"] = cookie })
end

function done(summary, latency, requests)
  io.write(string.format("requests %d in %.1f s (%.1f/s)\n", summary.requests,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("latency p%g %.1f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("latency max %.1f ms\n", latency.max / 1000))
  io.write(string.format("errors connect %d read %d write %d timeout %d non-2xx/3xx %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status))
end
