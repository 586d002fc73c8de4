-- wrk script for etcd's v3 JSON gateway, the same loads as put.lua and get.lua: "put" writes 256-byte values over
-- 1,000 keys, "get" reads them back linearizably (serializable=false, etcd's default).
-- Usage: wrk -t2 -c64 -d12s -s demo-app/bench/etcd.lua http://127.0.0.1:23791 -- put   (or -- get)
local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function b64(s)
  return ((s:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#s % 3 + 1])
end
local path, bodies = nil, {}
init = function(args)
  local mode = args[1] or "put"
  local value = b64(string.rep("v", 256))
  for n = 0, 999 do
    if mode == "put" then
      bodies[n] = '{"key":"' .. b64("k" .. n) .. '","value":"' .. value .. '"}'
    else
      bodies[n] = '{"key":"' .. b64("k" .. n) .. '"}'
    end
  end
  path = mode == "put" and "/v3/kv/put" or "/v3/kv/range"
end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, bodies[counter % 1000])
end
