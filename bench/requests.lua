-- Replays requests from a file, one per line: METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY.
-- Arguments after `--`: the file, the number of wrk threads, and `cycle` or `once`.
-- Thread k of n sends records k, k+n, k+2n, ...; with `once` each record goes out at most once
-- across all threads (approve: every request decides a different item) and running out is
-- reported as `exhausted`. Requests are formatted in init, so request() costs nothing.

local threads = {}
local counter = 1

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local file, nthreads = args[1], tonumber(args[2])
   cycle = args[3] == "cycle"
   reqs = {}
   exhausted = 0
   position = 0
   local i = 0
   for line in io.lines(file) do
      if i % nthreads == tid - 1 then
         local method, path, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
         local headers = {}
         if token ~= "" then
            headers["Authorization"] = "Bearer " .. token
         end
         if body == "" then
            body = nil
         else
            headers["Content-Type"] = "application/json"
         end
         reqs[#reqs + 1] = wrk.format(method, path, headers, body)
      end
      i = i + 1
   end
end

function request()
   position = position + 1
   if position > #reqs then
      if not cycle then
         exhausted = exhausted + 1
      end
      position = 1
   end
   return reqs[position]
end

function done(summary, latency, requests)
   local ran_out = 0
   for _, thread in ipairs(threads) do
      ran_out = ran_out + (thread:get("exhausted") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
      '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
      '"mean_us":%.1f,"exhausted":%d}\n',
      summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      latency.mean, ran_out))
end
