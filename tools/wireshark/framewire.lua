-- Wireshark dissector for Framewire's frame protocol, the application protocol of the tutorial's app-server and
-- app-client: a 2-byte big-endian header length N, N bytes of UTF-8 JSON header (byteorder, content-type,
-- content-encoding, content-length, then any custom keys such as content-checksum), then content-length bytes of
-- content. A connection from a trusted load balancer starts with a PROXY protocol header, version 1 (text) or 2
-- (binary), before its first frame.
--
-- Frames split across TCP segments are reassembled, and a segment holding several frames shows each of them. The
-- protocol is found on the TCP ports of the "framewire.ports" preference (65432 by default, the framewire command's
-- default port) and, unless "framewire.heuristic" is off, on any port where a connection starts like a frame or a
-- PROXY header.
--
-- Install: copy this file into Wireshark's personal Lua plugins folder (Help > About Wireshark > Folders, usually
-- ~/.local/lib/wireshark/plugins/), or load it for one run with tshark -X lua_script:framewire.lua. See README.md.

local framewire = Proto("framewire", "Framewire frame protocol")

-- Fields in the order the packet tree shows them.
local fields = {}
local field_list = {}
local function field(name, proto_field)
    fields[name] = proto_field
    field_list[#field_list + 1] = proto_field
end
field("kind", ProtoField.string("framewire.kind", "Kind"))
field("header_length", ProtoField.uint16("framewire.header_length", "Header length", base.DEC))
field("header", ProtoField.string("framewire.header", "JSON header"))
field("byteorder", ProtoField.string("framewire.byteorder", "byteorder"))
field("content_type", ProtoField.string("framewire.content_type", "content-type"))
field("content_encoding", ProtoField.string("framewire.content_encoding", "content-encoding"))
field("content_length", ProtoField.uint32("framewire.content_length", "content-length", base.DEC))
field("content_checksum", ProtoField.string("framewire.content_checksum", "content-checksum"))
field("checksum_status", ProtoField.string("framewire.checksum_status", "Checksum status"))
field("custom_header", ProtoField.string("framewire.custom_header", "Custom header"))
field("json", ProtoField.string("framewire.json", "JSON content"))
field("content", ProtoField.bytes("framewire.content", "Content"))
field("result", ProtoField.string("framewire.result", "result"))
field("error_code", ProtoField.string("framewire.error_code", "Error code"))
field("error_message", ProtoField.string("framewire.error_message", "Error message"))
field("proxy_version", ProtoField.uint8("framewire.proxy.version", "PROXY version", base.DEC))
field("proxy_command", ProtoField.string("framewire.proxy.command", "PROXY command"))
field("proxy_family", ProtoField.string("framewire.proxy.family", "PROXY family"))
field("proxy_src", ProtoField.string("framewire.proxy.src", "PROXY source address"))
field("proxy_dst", ProtoField.string("framewire.proxy.dst", "PROXY destination address"))
field("proxy_srcport", ProtoField.uint16("framewire.proxy.srcport", "PROXY source port", base.DEC))
field("proxy_dstport", ProtoField.uint16("framewire.proxy.dstport", "PROXY destination port", base.DEC))
framewire.fields = field_list

local experts = {
    malformed = ProtoExpert.new("framewire.malformed", "Malformed Framewire data", expert.group.MALFORMED, expert.severity.ERROR),
    error_frame = ProtoExpert.new("framewire.error_frame", "Framewire error frame", expert.group.RESPONSE_CODE, expert.severity.NOTE),
    bad_checksum = ProtoExpert.new("framewire.bad_checksum", "Content does not match its content-checksum", expert.group.CHECKSUM, expert.severity.ERROR),
}
framewire.experts = { experts.malformed, experts.error_frame, experts.bad_checksum }

framewire.prefs.ports = Pref.range("TCP ports", "65432", "TCP ports of Framewire servers", 65535)
framewire.prefs.heuristic = Pref.bool("Find by heuristic", true, "Also look for Framewire on other ports: a connection that starts like a frame or a PROXY header")

-- A PROXY v1 line is at most 107 bytes, CRLF included; a v2 header's fixed part is 16.
local PROXY_V1_MAX = 107
local PROXY_V2_SIGNATURE = "\r\n\r\n\0\r\nQUIT\n"

------------------------------------------------------------------------------------------------------------------------
-- JSON: just enough to read a frame's header and an error frame's content.

local escapes = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local function utf8_char(cp)
    if cp < 0x80 then
        return string.char(cp)
    elseif cp < 0x800 then
        return string.char(0xC0 + math.floor(cp / 0x40), 0x80 + cp % 0x40)
    elseif cp < 0x10000 then
        return string.char(0xE0 + math.floor(cp / 0x1000), 0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
    end
    return string.char(0xF0 + math.floor(cp / 0x40000), 0x80 + math.floor(cp / 0x1000) % 0x40,
        0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

local function skip_space(s, i)
    return s:find("[^ \t\r\n]", i) or (#s + 1)
end

-- The string whose opening quote is at i, decoded, and the index after its closing quote; nil when malformed.
local function read_string(s, i)
    local parts = {}
    local j = i + 1
    while true do
        local k = s:find('["\\]', j)
        if not k then
            return nil
        end
        parts[#parts + 1] = s:sub(j, k - 1)
        if s:sub(k, k) == '"' then
            return table.concat(parts), k + 1
        end
        local e = s:sub(k + 1, k + 1)
        if e == "u" then
            local cp = tonumber(s:sub(k + 2, k + 5), 16)
            if not cp then
                return nil
            end
            j = k + 6
            if cp >= 0xD800 and cp <= 0xDBFF and s:sub(j, j + 1) == "\\u" then
                local low = tonumber(s:sub(j + 2, j + 5), 16)
                if low and low >= 0xDC00 and low <= 0xDFFF then
                    cp = 0x10000 + (cp - 0xD800) * 0x400 + (low - 0xDC00)
                    j = j + 6
                end
            end
            parts[#parts + 1] = utf8_char(cp)
        elseif escapes[e] then
            parts[#parts + 1] = escapes[e]
            j = k + 2
        else
            return nil
        end
    end
end

-- The index after the JSON value that starts at i; nil when malformed.
local function skip_value(s, i)
    local c = s:sub(i, i)
    if c == '"' then
        local _, after = read_string(s, i)
        return after
    end
    if c == "{" or c == "[" then
        local depth = 0
        local j = i
        while j <= #s do
            local k = s:find('[%[%]{}"]', j)
            if not k then
                return nil
            end
            local d = s:sub(k, k)
            if d == '"' then
                local _, after = read_string(s, k)
                if not after then
                    return nil
                end
                j = after
            else
                depth = depth + ((d == "{" or d == "[") and 1 or -1)
                j = k + 1
                if depth == 0 then
                    return j
                end
            end
        end
        return nil
    end
    local _, last = s:find("^[%w%.%+%-]+", i)
    return last and last + 1 or nil
end

-- The members of the JSON object text s, in order, each { name, raw, value, first, last } (value decoded for a
-- string, a number for a number, else nil; first and last are 1-based indexes of the raw value); nil when s is not
-- an object.
local function read_object(s)
    local i = skip_space(s, 1)
    if s:sub(i, i) ~= "{" then
        return nil
    end
    local members = {}
    i = skip_space(s, i + 1)
    if s:sub(i, i) == "}" then
        return members
    end
    while true do
        if s:sub(i, i) ~= '"' then
            return nil
        end
        local name, after = read_string(s, i)
        if not name then
            return nil
        end
        i = skip_space(s, after)
        if s:sub(i, i) ~= ":" then
            return nil
        end
        local first = skip_space(s, i + 1)
        local next_index = skip_value(s, first)
        if not next_index then
            return nil
        end
        local raw = s:sub(first, next_index - 1)
        local value
        if raw:sub(1, 1) == '"' then
            value = read_string(raw, 1)
        else
            value = tonumber(raw)
        end
        members[#members + 1] = { name = name, raw = raw, value = value, first = first, last = next_index - 1 }
        i = skip_space(s, next_index)
        local c = s:sub(i, i)
        if c == "}" then
            return members
        end
        if c ~= "," then
            return nil
        end
        i = skip_space(s, i + 1)
    end
end

local function member(members, name)
    for _, m in ipairs(members) do
        if m.name == name then
            return m
        end
    end
    return nil
end

------------------------------------------------------------------------------------------------------------------------
-- CRC-32C (Castagnoli), to check a crc32c content-checksum. Wireshark's Lua has bit32 (5.2) or the BitOp library.

local bits = bit32 or bit
local crc32c_table = {}
for n = 0, 255 do
    local c = n
    for _ = 1, 8 do
        if bits.band(c, 1) ~= 0 then
            c = bits.bxor(bits.rshift(c, 1), 0x82F63B78)
        else
            c = bits.rshift(c, 1)
        end
    end
    crc32c_table[n] = c
end

local function crc32c(s)
    local c = 0xFFFFFFFF
    for i = 1, #s do
        c = bits.bxor(crc32c_table[bits.band(bits.bxor(c, s:byte(i)), 0xFF)], bits.rshift(c, 8))
    end
    return bits.bxor(c, 0xFFFFFFFF) % 4294967296
end

------------------------------------------------------------------------------------------------------------------------
-- Finding where each piece ends.

local function in_ports(port)
    for part in tostring(framewire.prefs.ports):gmatch("[^,%s]+") do
        local low, high = part:match("^(%d+)-(%d+)$")
        if low then
            if port >= tonumber(low) and port <= tonumber(high) then
                return true
            end
        elseif tonumber(part) == port then
            return true
        end
    end
    return false
end

local function starts_like_json(byte)
    return byte == 0x7B or byte == 0x20 or byte == 0x09 or byte == 0x0D or byte == 0x0A
end

-- The length of the piece (a PROXY header or a frame) at offset: the length; or 0 and the bytes still needed
-- (DESEGMENT_ONE_MORE_SEGMENT when that is not known yet); or nil when the bytes are not Framewire's.
local function piece_length(tvb, offset)
    local available = tvb:len() - offset
    if available >= 2 and tvb(offset, 2):uint() == 0 then
        return 2
    end
    if available < 3 then
        return 0, DESEGMENT_ONE_MORE_SEGMENT
    end
    local start = tvb:raw(offset, math.min(available, 16))
    if start:sub(1, 6) == "PROXY " then
        local line = tvb:raw(offset, math.min(available, PROXY_V1_MAX))
        local crlf = line:find("\r\n", 1, true)
        if crlf then
            return crlf + 1
        end
        if available < PROXY_V1_MAX then
            return 0, DESEGMENT_ONE_MORE_SEGMENT
        end
        return nil
    end
    if PROXY_V2_SIGNATURE:sub(1, #start) == start:sub(1, #PROXY_V2_SIGNATURE) then
        if available < 16 then
            return 0, 16 - available
        end
        local total = 16 + tvb(offset + 14, 2):uint()
        if available < total then
            return 0, total - available
        end
        return total
    end
    local header_length = tvb(offset, 2):uint()
    if not starts_like_json(tvb(offset + 2, 1):uint()) then
        return nil
    end
    if available < 2 + header_length then
        return 0, 2 + header_length - available
    end
    local members = read_object(tvb:raw(offset + 2, header_length))
    local length = members and member(members, "content-length")
    if not length or type(length.value) ~= "number" or length.value < 0 or length.value % 1 ~= 0 then
        -- Without a content length the frame ends with its header: the header is shown as malformed.
        return 2 + header_length
    end
    local total = 2 + header_length + length.value
    if available < total then
        return 0, total - available
    end
    return total
end

------------------------------------------------------------------------------------------------------------------------
-- Showing each piece.

local function direction(pinfo)
    if in_ports(pinfo.dst_port) then
        return "request"
    end
    if in_ports(pinfo.src_port) then
        return "response"
    end
    return "frame"
end

local function short(text, limit)
    if #text <= limit then
        return text
    end
    return text:sub(1, limit) .. "…"
end

local function dissect_proxy_v1(tvb, tree)
    local line = tvb:raw(0, tvb:len() - 2)
    local subtree = tree:add(framewire, tvb(), "PROXY protocol v1")
    subtree:add(fields.kind, tvb(), "proxy")
    subtree:add(fields.proxy_version, tvb(0, 5), 1)
    local family, src, dst, srcport, dstport = line:match("^PROXY (%S+) (%S+) (%S+) (%d+) (%d+)$")
    if not family then
        family = line:match("^PROXY (%S+)") or "?"
        subtree:add(fields.proxy_family, tvb(), family)
        if family ~= "UNKNOWN" then
            subtree:add_proto_expert_info(experts.malformed, "Not a PROXY v1 line")
        end
        return "PROXY v1 " .. family
    end
    subtree:add(fields.proxy_family, tvb(), family)
    subtree:add(fields.proxy_src, tvb(), src)
    subtree:add(fields.proxy_dst, tvb(), dst)
    subtree:add(fields.proxy_srcport, tvb(), tonumber(srcport))
    subtree:add(fields.proxy_dstport, tvb(), tonumber(dstport))
    return string.format("PROXY v1 %s %s:%s → %s:%s", family, src, srcport, dst, dstport)
end

local v2_families = { [0] = "UNSPEC", [1] = "INET", [2] = "INET6", [3] = "UNIX" }

local function dissect_proxy_v2(tvb, tree)
    local subtree = tree:add(framewire, tvb(), "PROXY protocol v2")
    subtree:add(fields.kind, tvb(), "proxy")
    local version_command = tvb(12, 1):uint()
    subtree:add(fields.proxy_version, tvb(12, 1), math.floor(version_command / 16))
    local command = (version_command % 16 == 0) and "LOCAL" or ((version_command % 16 == 1) and "PROXY" or "?")
    subtree:add(fields.proxy_command, tvb(12, 1), command)
    local family_byte = tvb(13, 1):uint()
    local family = v2_families[math.floor(family_byte / 16)] or "?"
    subtree:add(fields.proxy_family, tvb(13, 1), family)
    local length = tvb(14, 2):uint()
    local size = (family == "INET" and 4) or (family == "INET6" and 16) or nil
    if size and length >= 2 * size + 4 then
        local read = size == 4 and "ipv4" or "ipv6"
        local src_range, dst_range = tvb(16, size), tvb(16 + size, size)
        local src, dst = tostring(src_range[read](src_range)), tostring(dst_range[read](dst_range))
        local srcport, dstport = tvb(16 + 2 * size, 2):uint(), tvb(18 + 2 * size, 2):uint()
        subtree:add(fields.proxy_src, src_range, src)
        subtree:add(fields.proxy_dst, dst_range, dst)
        subtree:add(fields.proxy_srcport, tvb(16 + 2 * size, 2), srcport)
        subtree:add(fields.proxy_dstport, tvb(18 + 2 * size, 2), dstport)
        local shown = size == 4 and "%s:%d" or "[%s]:%d"
        return string.format("PROXY v2 %s " .. shown .. " → " .. shown, command, src, srcport, dst, dstport)
    elseif family == "UNIX" and length >= 216 then
        local src, dst = tvb(16, 108):stringz(), tvb(124, 108):stringz()
        subtree:add(fields.proxy_src, tvb(16, 108), src)
        subtree:add(fields.proxy_dst, tvb(124, 108), dst)
        return string.format("PROXY v2 %s %s → %s", command, src, dst)
    end
    return "PROXY v2 " .. command .. " " .. family
end

local function dissect_checksum(subtree, range, value, content)
    subtree:add(fields.content_checksum, range, value)
    local algorithm, digest = value:match("^(%l[%w]*):(%x+)$")
    local status = "unverified"
    if algorithm == "crc32c" then
        status = (digest == string.format("%08x", crc32c(content))) and "good" or "bad"
    end
    local item = subtree:add(fields.checksum_status, range, status)
    if status == "bad" then
        item:add_proto_expert_info(experts.bad_checksum, "content-checksum " .. value .. " does not match the content (crc32c:" .. string.format("%08x", crc32c(content)) .. ")")
    end
end

local function dissect_frame(tvb, pinfo, tree)
    local kind = direction(pinfo)
    local header_length = tvb(0, 2):uint()
    local subtree = tree:add(framewire, tvb(), "Framewire " .. kind)
    subtree:add(fields.kind, tvb(0, 2), kind)
    subtree:add(fields.header_length, tvb(0, 2))
    if header_length == 0 then
        subtree:add_proto_expert_info(experts.malformed, "The header length is 0")
        return kind .. " (header length 0)"
    end

    local header_range = tvb(2, header_length)
    local header_text = header_range:raw()
    subtree:add(fields.header, header_range, header_text)
    local members = read_object(header_text)
    if not members then
        subtree:add_proto_expert_info(experts.malformed, "The header is not a JSON object")
        return kind .. " (malformed header)"
    end

    local content_start = 2 + header_length
    local content_range = tvb:len() > content_start and tvb(content_start) or tvb(content_start, 0)
    local content = content_range:raw()
    local values = {}
    for _, m in ipairs(members) do
        local range = tvb(2 + m.first - 1, m.last - m.first + 1)
        values[m.name] = m.value
        if m.name == "byteorder" then
            subtree:add(fields.byteorder, range, tostring(m.value))
        elseif m.name == "content-type" then
            subtree:add(fields.content_type, range, tostring(m.value))
        elseif m.name == "content-encoding" then
            subtree:add(fields.content_encoding, range, tostring(m.value))
        elseif m.name == "content-length" and type(m.value) == "number" then
            subtree:add(fields.content_length, range, m.value)
        elseif m.name == "content-checksum" and type(m.value) == "string" then
            dissect_checksum(subtree, range, m.value, content)
        else
            subtree:add(fields.custom_header, range, m.name .. ": " .. m.raw)
        end
    end
    if type(values["content-length"]) ~= "number" then
        subtree:add_proto_expert_info(experts.malformed, "The header has no content-length")
        return kind .. " (no content-length)"
    end

    local content_type = tostring(values["content-type"])
    local encoding = tostring(values["content-encoding"])
    if content_type == "text/json" and (encoding == "utf-8" or encoding == "ascii") then
        subtree:add(fields.json, content_range, content)
        local body = read_object(content)
        local error_member = body and member(body, "error")
        local detail = error_member and read_object(error_member.raw)
        local code = detail and member(detail, "code")
        local message = detail and member(detail, "message")
        local result = body and member(body, "result")
        if result and type(result.value) == "string" then
            subtree:add(fields.result, content_range, result.value)
        end
        if code and type(code.value) == "string" then
            subtree:add(fields.error_code, content_range, code.value)
            if message and type(message.value) == "string" then
                subtree:add(fields.error_message, content_range, message.value)
            end
            subtree:add_proto_expert_info(experts.error_frame, "Error frame: " .. code.value)
            return kind .. " error " .. code.value
        end
        return kind .. " " .. content_type .. " " .. short(content, 60)
    end
    subtree:add(fields.content, content_range)
    return string.format("%s %s (%d bytes)", kind, content_type, values["content-length"])
end

local function dissect_piece(tvb, pinfo, tree)
    local start = tvb:raw(0, math.min(tvb:len(), 12))
    if start:sub(1, 6) == "PROXY " then
        return dissect_proxy_v1(tvb, tree)
    end
    if start == PROXY_V2_SIGNATURE then
        return dissect_proxy_v2(tvb, tree)
    end
    return dissect_frame(tvb, pinfo, tree)
end

function framewire.dissector(tvb, pinfo, tree)
    local length = tvb:len()
    local offset = 0
    local pieces = 0
    while offset < length do
        local piece, needed = piece_length(tvb, offset)
        if piece == nil then
            if pieces == 0 then
                return 0
            end
            break
        end
        if piece == 0 then
            pinfo.desegment_offset = offset
            pinfo.desegment_len = needed
            return length
        end
        local summary = dissect_piece(tvb(offset, piece):tvb(), pinfo, tree)
        if pieces == 0 then
            pinfo.cols.protocol = "Framewire"
            pinfo.cols.info = summary
        else
            pinfo.cols.info:append(" ; " .. summary)
        end
        offset = offset + piece
        pieces = pieces + 1
    end
    return offset
end

-- A connection whose first bytes are a PROXY header, or a 2-byte length and the start of a JSON object.
local function heuristic(tvb, pinfo, tree)
    if not framewire.prefs.heuristic or tvb:len() < 4 then
        return false
    end
    local start = tvb:raw(0, math.min(tvb:len(), 12))
    local proxy = start:sub(1, 6) == "PROXY " or (#start == 12 and start == PROXY_V2_SIGNATURE)
    if not proxy and not (start:sub(3, 4) == '{"' and tvb(0, 2):uint() >= 2) then
        return false
    end
    pinfo.conversation = framewire
    framewire.dissector(tvb, pinfo, tree)
    return true
end

local tcp_port = DissectorTable.get("tcp.port")

local function register_ports()
    tcp_port:remove_all(framewire)
    tcp_port:add(framewire.prefs.ports, framewire)
end

function framewire.prefs_changed()
    register_ports()
end

register_ports()
framewire:register_heuristic("tcp", heuristic)
