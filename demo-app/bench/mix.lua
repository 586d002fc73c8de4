-- wrk script: a 50/50 mix of writes and linearizable reads over 1,000 keys, every write with its own 256-byte
-- value (thread number and request counter in its last 16 bytes). Run writes first so the keys exist.
-- "raftex" (default): PUT /kv/k<n> and GET /kv/k<n> of the demo; "etcd": /v3/kv/put and /v3/kv/range of etcd's
-- v3 JSON gateway (linearizable, etcd's default).
-- Usage: wrk -t2 -c64 -d15s -s demo-app/bench/mix.lua http://127.0.0.1:8081 -- raftex
--        wrk -t2 -c64 -d15s -s demo-app/bench/mix.lua http://127.0.0.1:23791 -- etcd
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

local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local etcd, prefix, keys = false, nil, {}
init = function(args)
  etcd = args[1] == "etcd"
  local head = string.rep("v", 240)   -- 240 bytes: a multiple of 3, so b64(head .. tail) = b64(head) .. b64(tail)
  prefix = etcd and b64(head) or head
  for n = 0, 999 do keys[n] = etcd and b64("k" .. n) or ("k" .. n) end
end

local counter = 0
request = function()
  counter = counter + 1
  local key = keys[counter % 1000]
  if counter % 2 == 0 then
    local tail = string.format("%02d%014d", tid or 0, counter)   -- 16 bytes, unique per request
    if etcd then
      return wrk.format("POST", "/v3/kv/put", { ["Content-Type"] = "application/json" },
        '{"key":"' .. key .. '","value":"' .. prefix .. b64(tail) .. '"}')
    end
    return wrk.format("PUT", "/kv/" .. key, { ["Content-Type"] = "application/json" },
      '{"value":"' .. prefix .. tail .. '"}')
  end
  if etcd then
    return wrk.format("POST", "/v3/kv/range", { ["Content-Type"] = "application/json" }, '{"key":"' .. key .. '"}')
  end
  return wrk.format("GET", "/kv/" .. key)
end
