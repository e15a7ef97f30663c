-- wrk script for GET benchmarks: counts answers other than 200 and prints
-- machine-readable figures. Usage: wrk ... -s get.lua -H ... URL
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   refused = 0
end

function response(status, hdrs, body)
   if status ~= 200 then refused = refused + 1 end
end

function done(summary, latency, requests)
   local rf = 0
   for _, t in ipairs(threads) do rf = rf + t:get("refused") end
   io.write(string.format("BENCH non200=%d exhausted=0\n", rf))
   for _, p in ipairs({ 50, 90, 99, 99.9 }) do
      io.write(string.format("BENCH p%s_us=%d\n", p, latency:percentile(p)))
   end
   io.write(string.format("BENCH requests=%d duration_us=%d errors=%d\n", summary.requests,
      summary.duration, summary.errors.connect + summary.errors.read + summary.errors.write +
      summary.errors.status + summary.errors.timeout))
end
