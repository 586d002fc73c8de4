-- wrk script: linearizable GET /kv/k<n> over 1,000 keys (run put.lua first so they exist).
-- Usage: wrk -t2 -c64 -d20s -s demo-app/bench/get.lua http://127.0.0.1:8082
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/kv/k" .. (counter % 1000))
end
