-- wrk script: PUT /kv/k<n> with a 256-byte value, spreading writes over 1,000 keys.
-- Usage: wrk -t2 -c16 -d20s -s demo-app/bench/put.lua http://127.0.0.1:8081
local value = string.rep("v", 256)
local body = '{"value":"' .. value .. '"}'
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("PUT", "/kv/k" .. (counter % 1000), { ["Content-Type"] = "application/json" }, body)
end
