// Codec checks for the FacePlex C++ core (driven by tests/test_cpp_core.py).
//
//   codec_tool golden DIR   for every DIR/*.msgpack: decode, re-encode, compare bytes; prints one
//                           JSON line per vector {"name", "type", "roundtrip", "json"} where "json"
//                           is the decoded message (bin as {"$bin": base64}) to compare with NAME.json
//   codec_tool decode       reads hex lines from stdin (one message each); prints one JSON line
//                           each: {"ok", "type", "canonical": hex, "json"} or {"ok": false, "code"}
//   codec_tool types        prints every message type the core knows, one per line
#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "Core/Codec.h"

using namespace FacePlexCore;

namespace {

std::string JsonEscape(const std::string& s)
{
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) { char buf[8]; std::snprintf(buf, sizeof buf, "\\u%04x", c); out += buf; }
                else out += static_cast<char>(c);  // UTF-8 passes through
        }
    }
    return out + "\"";
}

std::string Base64(const std::vector<uint8_t>& data)
{
    static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        uint32_t n = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        out += abc[n >> 18]; out += abc[(n >> 12) & 63]; out += abc[(n >> 6) & 63]; out += abc[n & 63];
    }
    if (i + 1 == data.size()) {
        uint32_t n = data[i] << 16;
        out += abc[n >> 18]; out += abc[(n >> 12) & 63]; out += "==";
    } else if (i + 2 == data.size()) {
        uint32_t n = (data[i] << 16) | (data[i + 1] << 8);
        out += abc[n >> 18]; out += abc[(n >> 12) & 63]; out += abc[(n >> 6) & 63]; out += '=';
    }
    return out;
}

std::string ToJson(const MsgValue& v)
{
    char buf[64];
    switch (v.GetType()) {
        case MsgValue::Type::Nil: return "null";
        case MsgValue::Type::Bool: return v.AsBool() ? "true" : "false";
        case MsgValue::Type::Int: return std::to_string(v.AsInt());
        case MsgValue::Type::UInt: return std::to_string(v.AsUInt());
        case MsgValue::Type::Float:
            if (!std::isfinite(v.AsNumber())) return "null";
            std::snprintf(buf, sizeof buf, "%.17g", v.AsNumber());
            if (std::string(buf).find_first_of(".eE") == std::string::npos) std::strcat(buf, ".0");
            return buf;
        case MsgValue::Type::Str: return JsonEscape(v.AsStr());
        case MsgValue::Type::Bin: return "{\"$bin\": \"" + Base64(v.AsBin()) + "\"}";
        case MsgValue::Type::Array: {
            std::string out = "[";
            for (size_t i = 0; i < v.Items().size(); ++i) out += (i ? ", " : "") + ToJson(v.Items()[i]);
            return out + "]";
        }
        case MsgValue::Type::Map: {
            std::string out = "{";
            bool first = true;
            for (const auto& kv : v.Entries()) {
                out += (first ? "" : ", ") + JsonEscape(kv.first) + ": " + ToJson(kv.second);
                first = false;
            }
            return out + "}";
        }
    }
    return "null";
}

std::string Hex(const std::vector<uint8_t>& data)
{
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (uint8_t b : data) { out += digits[b >> 4]; out += digits[b & 15]; }
    return out;
}

std::vector<uint8_t> FromHex(const std::string& s)
{
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
    return out;
}

/** JSON of a decoded typed message: its canonical encoding, parsed back into a value tree. */
std::string MessageJson(const Message& msg)
{
    std::vector<uint8_t> bytes = Encode(msg);
    return ToJson(ParseMsgPack(bytes.data(), bytes.size()).value);
}

int Golden(const std::string& dir)
{
    DIR* d = opendir(dir.c_str());
    if (!d) { std::fprintf(stderr, "cannot open %s\n", dir.c_str()); return 2; }
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n.size() > 8 && n.substr(n.size() - 8) == ".msgpack") names.push_back(n.substr(0, n.size() - 8));
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    int failures = 0;
    for (const auto& name : names) {
        std::ifstream in(dir + "/" + name + ".msgpack", std::ios::binary);
        std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        DecodeResult r = Decode(bytes.data(), bytes.size(), Direction::Any);
        if (!r.Ok) {
            std::printf("{\"name\": %s, \"ok\": false, \"code\": %s, \"error\": %s}\n", JsonEscape(name).c_str(),
                        JsonEscape(r.ErrorCode).c_str(), JsonEscape(r.ErrorMessage).c_str());
            ++failures;
            continue;
        }
        const bool same = Encode(r.Msg) == bytes;
        failures += same ? 0 : 1;
        std::printf("{\"name\": %s, \"ok\": true, \"type\": \"%s\", \"roundtrip\": %s, \"json\": %s}\n",
                    JsonEscape(name).c_str(), TypeName(r.Msg), same ? "true" : "false", MessageJson(r.Msg).c_str());
    }
    std::printf("{\"vectors\": %zu, \"failures\": %d}\n", names.size(), failures);
    return failures ? 1 : 0;
}

int DecodeLines()
{
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty()) continue;
        std::vector<uint8_t> bytes = FromHex(line);
        DecodeResult r = Decode(bytes.data(), bytes.size(), Direction::Any);
        if (!r.Ok) {
            std::printf("{\"ok\": false, \"code\": %s, \"error\": %s}\n", JsonEscape(r.ErrorCode).c_str(),
                        JsonEscape(r.ErrorMessage).c_str());
        } else {
            std::printf("{\"ok\": true, \"type\": \"%s\", \"canonical\": \"%s\", \"json\": %s}\n", TypeName(r.Msg),
                        Hex(Encode(r.Msg)).c_str(), MessageJson(r.Msg).c_str());
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "golden" && argc > 2) return Golden(argv[2]);
    if (mode == "decode") return DecodeLines();
    if (mode == "types") {
        for (const char* t : KnownTypes()) std::printf("%s\n", t);
        return 0;
    }
    std::fprintf(stderr, "usage: codec_tool golden DIR | codec_tool decode < hexlines | codec_tool types\n");
    return 2;
}
