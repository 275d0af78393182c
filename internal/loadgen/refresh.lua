-- Rotating refreshes for wrk: each thread holds the refresh tokens of its
-- share of the sessions (one per connection, and one spare: wrk calls
-- request() once before the run to check it, which takes a token that is
-- never sent), presents each token once, and keeps the new one from each
-- answer. A connection has one request in flight at a time, so a thread
-- never runs out of tokens, and no session is refreshed twice at once.
--
-- wrk -s refresh.lua URL -- TOKENS_FILE THREADS

local threads = 0

function setup(thread)
   thread:set("id", threads)
   threads = threads + 1
end

local tokens = {}

function init(args)
   local n = tonumber(args[2])
   local i = 0
   for line in io.lines(args[1]) do
      if line ~= "" then
         if i % n == id then
            tokens[#tokens + 1] = line
         end
         i = i + 1
      end
   end
end

function request()
   local tok = table.remove(tokens)
   local headers = {}
   if tok then
      headers["Authorization"] = "Bearer " .. tok
   end
   -- No token left would answer 401, which fails the run.
   return wrk.format("POST", nil, headers, nil)
end

function response(status, headers, body)
   if status == 200 then
      local tok = body:match('"refresh_token":"([^"]+)"')
      if tok then
         tokens[#tokens + 1] = tok
      end
   end
end
