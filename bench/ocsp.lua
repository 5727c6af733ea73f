-- wrk script for bench/ocsp.sh: cycles through a fixed list of OCSP requests.
--
--   wrk -t2 -c16 -d5s -s bench/ocsp.lua http://127.0.0.1:PORT -- LIST
--
-- LIST has one request a line, built once per wrk thread at start:
--   GET  /path                    (RFC 6960 A.1: the path carries the request)
--   POST /path  FILE              (the DER request in FILE, sent with
--                                  Content-Type: application/ocsp-request)
-- Each thread starts at another line, so that the connections ask for
-- different serials at the same time. No response() callback: wrk then
-- parses no headers beyond what it needs, the same for every server.

local reqs = {}
local n, i = 0, 0
local threads = 0

function setup(thread)
   thread:set("id", threads)
   threads = threads + 1
end

function init(args)
   local list = assert(args[1], "usage: wrk ... -s ocsp.lua URL -- LIST")
   for line in io.lines(list) do
      local method, path, file = line:match("^(%u+)%s+(%S+)%s*(%S*)$")
      assert(method, "bad line in " .. list .. ": " .. line)
      local headers, body = {}, nil
      if method == "POST" then
         local f = assert(io.open(file, "rb"))
         body = f:read("*a")
         f:close()
         headers["Content-Type"] = "application/ocsp-request"
      end
      n = n + 1
      reqs[n] = wrk.format(method, path, headers, body)
   end
   assert(n > 0, list .. " lists no request")
   i = (id or 0) % n
end

function request()
   i = i % n + 1
   return reqs[i]
end
