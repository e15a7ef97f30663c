-- wrk script: replays pre-sealed POST /v2/payouts requests, each once.
-- Usage: wrk -tN ... -s post.lua URL -- TOKENS_FILE BASIC_CREDENTIALS N
-- Thread k of N sends lines k, k+N, k+2N, ... of TOKENS_FILE; running out
-- of lines is reported (the figures would then include refusals).
local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local file, auth, stride = args[1], args[2], tonumber(args[3])
   local lines, n = {}, 0
   local i = 0
   for line in io.lines(file) do
      if i % stride == id then
         local sp = line:find(" ", 1, true)
         n = n + 1
         lines[n] = { line:sub(1, sp - 1), line:sub(sp + 1) }
      end
      i = i + 1
   end
   reqs, total, next_req = lines, n, 1
   headers = {
      ["Authorization"] = "Basic " .. auth,
      ["TossPayments-api-security-mode"] = "ENCRYPTION",
      ["Content-Type"] = "text/plain",
   }
   exhausted, refused = 0, 0
end

function request()
   local r = reqs[next_req]
   if r == nil then
      exhausted = exhausted + 1
      r = reqs[1]
   else
      next_req = next_req + 1
   end
   headers["Idempotency-Key"] = r[1]
   return wrk.format("POST", "/v2/payouts", headers, r[2])
end

function response(status, hdrs, body)
   if status ~= 200 then refused = refused + 1 end
end

function done(summary, latency, requests)
   local ex, rf = 0, 0
   for _, t in ipairs(threads) do
      ex = ex + t:get("exhausted")
      rf = rf + t:get("refused")
   end
   io.write(string.format("BENCH non200=%d exhausted=%d\n", rf, ex))
   for _, p in ipairs({ 50, 90, 99, 99.9 }) do
      io.write(string.format("BENCH p%s_us=%d\n", p, latency:percentile(p)))
   end
   io.write(string.format("BENCH requests=%d duration_us=%d errors=%d\n", summary.requests,
      summary.duration, summary.errors.connect + summary.errors.read + summary.errors.write +
      summary.errors.status + summary.errors.timeout))
end
