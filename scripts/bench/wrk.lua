-- wrk script for `npm run bench`: POSTs the body in $WRK_BODY_FILE with the headers in
-- $WRK_HEADERS_FILE (one "Name: value" per line) and prints a JSON summary on stderr when done.
local function read(name)
  local f = assert(io.open(os.getenv(name), "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

wrk.method = "POST"
wrk.body = read("WRK_BODY_FILE")
for line in read("WRK_HEADERS_FILE"):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  wrk.headers[name] = value
end

function done(summary, latency, requests)
  local e = summary.errors
  io.stderr:write(string.format(
    '{"requests":%d,"durationUs":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
