-- wrk-post.lua: POSTs a real Alertmanager delivery with a bearer token, for bench/run.sh.
--
-- Must never: read or print the token anywhere but the Authorization header, or send
-- anything other than the fixture (with, in "unique" mode, a new fingerprint/startsAt).
--
-- Usage: wrk ... -s bench/wrk-post.lua URL -- BODY_FILE TOKEN_FILE MODE NONCE
--   MODE "same":   every request carries the fixture byte for byte (an Alertmanager
--                  retry / repeat_interval resend: runbookd's dedup path).
--   MODE "unique": every request rewrites the alert's fingerprint and startsAt, so each
--                  one is a new alert episode (stored, matched, planned). The fingerprint
--                  is NONCE (16 bits), the wrk thread (16 bits) and a per-thread counter
--                  (32 bits) in 16 hex digits: unique across threads and across runs as
--                  long as run.sh passes a new NONCE per run.
-- done() prints one machine-readable line starting with "WRK " for run.sh to parse.

local FP = "bc0f69a6f4a97e7e"                          -- the fixture's fingerprint
local STARTS = "2026-11-25T07:55:47.033226765Z"        -- the fixture's startsAt

local threads = {}
local counter = 0
local mode, nonce, headers
local parts                                            -- the body around FP and STARTS
local fp_first                                         -- does FP come before STARTS?
local static_req

local function slurp(path)
	local f = assert(io.open(path, "rb"), "cannot open " .. path)
	local s = f:read("*a")
	f:close()
	return s
end

function setup(thread)
	thread:set("tid", #threads + 1)
	table.insert(threads, thread)
end

function init(args)
	local body = slurp(args[1])
	local token = slurp(args[2]):gsub("%s+$", "")
	mode = args[3] or "same"
	nonce = tonumber(args[4] or "0") % 65536
	headers = {
		["Content-Type"] = "application/json",
		["Authorization"] = "Bearer " .. token,
		["User-Agent"] = "Alertmanager/0.25.0",
	}
	if mode == "same" then
		static_req = wrk.format("POST", nil, headers, body)
		return
	end
	assert(mode == "unique", "MODE must be same or unique")
	local a, b = body:find(FP, 1, true)
	local c, d = body:find(STARTS, 1, true)
	assert(a and c, "the fixture has no fingerprint " .. FP .. " or startsAt " .. STARTS)
	fp_first = a < c
	if not fp_first then
		a, b, c, d = c, d, a, b
	end
	parts = { body:sub(1, a - 1), body:sub(b + 1, c - 1), body:sub(d + 1) }
end

function request()
	if static_req then
		return static_req
	end
	counter = counter + 1
	local fp = string.format("%04x%04x%08x", nonce, tid % 65536, counter % 4294967296)
	local starts = string.format("2026-11-25T07:55:%02d.%09dZ", counter % 60, counter % 1000000000)
	local x, y = fp, starts
	if not fp_first then
		x, y = starts, fp
	end
	return wrk.format("POST", nil, headers, parts[1] .. x .. parts[2] .. y .. parts[3])
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"WRK requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
		"mean_us=%.1f err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
		summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write,
		e.status, e.timeout))
end
