#include "MsgPack.h"

#include <cstring>

namespace FacePlexCore {

// ------------------------------------------------------------------ MsgValue
MsgValue MsgValue::Bool(bool b) { MsgValue v; v.type_ = Type::Bool; v.b_ = b; return v; }
MsgValue MsgValue::Int(int64_t i) { MsgValue v; v.type_ = Type::Int; v.i_ = i; return v; }
MsgValue MsgValue::UInt(uint64_t u)
{
    if (u <= static_cast<uint64_t>(INT64_MAX)) return Int(static_cast<int64_t>(u));
    MsgValue v; v.type_ = Type::UInt; v.u_ = u; return v;
}
MsgValue MsgValue::Float(double f) { MsgValue v; v.type_ = Type::Float; v.f_ = f; return v; }
MsgValue MsgValue::Str(std::string s) { MsgValue v; v.type_ = Type::Str; v.s_ = std::move(s); return v; }
MsgValue MsgValue::Bin(std::vector<uint8_t> b) { MsgValue v; v.type_ = Type::Bin; v.bin_ = std::move(b); return v; }
MsgValue MsgValue::Array(std::vector<MsgValue> items) { MsgValue v; v.type_ = Type::Array; v.items_ = std::move(items); return v; }
MsgValue MsgValue::Map(MapEntries entries) { MsgValue v; v.type_ = Type::Map; v.entries_ = std::move(entries); return v; }

double MsgValue::AsNumber() const
{
    switch (type_) {
        case Type::Int: return static_cast<double>(i_);
        case Type::UInt: return static_cast<double>(u_);
        case Type::Float: return f_;
        default: return 0.0;
    }
}

const MsgValue* MsgValue::Find(const std::string& key) const
{
    if (type_ != Type::Map) return nullptr;
    for (const auto& kv : entries_)
        if (kv.first == key) return &kv.second;
    return nullptr;
}

void MsgValue::Set(const std::string& key, MsgValue value)
{
    if (type_ != Type::Map) { *this = Map(); }
    for (auto& kv : entries_)
        if (kv.first == key) { kv.second = std::move(value); return; }
    entries_.emplace_back(key, std::move(value));
}

// ------------------------------------------------------------------ MsgWriter
void MsgWriter::BigEndian(uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; --i) Byte(static_cast<uint8_t>(v >> (8 * i)));
}

void MsgWriter::Nil() { Byte(0xc0); }
void MsgWriter::Bool(bool b) { Byte(b ? 0xc3 : 0xc2); }

void MsgWriter::Int(int64_t i)
{
    if (i >= 0) { UInt(static_cast<uint64_t>(i)); return; }
    if (i >= -32) { Byte(static_cast<uint8_t>(i)); return; }
    if (i >= INT8_MIN) { Byte(0xd0); BigEndian(static_cast<uint64_t>(i), 1); return; }
    if (i >= INT16_MIN) { Byte(0xd1); BigEndian(static_cast<uint64_t>(i), 2); return; }
    if (i >= INT32_MIN) { Byte(0xd2); BigEndian(static_cast<uint64_t>(i), 4); return; }
    Byte(0xd3); BigEndian(static_cast<uint64_t>(i), 8);
}

void MsgWriter::UInt(uint64_t u)
{
    if (u < 128) { Byte(static_cast<uint8_t>(u)); return; }
    if (u <= UINT8_MAX) { Byte(0xcc); BigEndian(u, 1); return; }
    if (u <= UINT16_MAX) { Byte(0xcd); BigEndian(u, 2); return; }
    if (u <= UINT32_MAX) { Byte(0xce); BigEndian(u, 4); return; }
    Byte(0xcf); BigEndian(u, 8);
}

void MsgWriter::Float(float f)
{
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    Byte(0xca);
    BigEndian(bits, 4);
}

void MsgWriter::Str(const std::string& s)
{
    const size_t n = s.size();
    if (n < 32) Byte(static_cast<uint8_t>(0xa0 | n));
    else if (n <= UINT8_MAX) { Byte(0xd9); BigEndian(n, 1); }
    else if (n <= UINT16_MAX) { Byte(0xda); BigEndian(n, 2); }
    else { Byte(0xdb); BigEndian(n, 4); }
    out_.insert(out_.end(), s.begin(), s.end());
}

void MsgWriter::Bin(const uint8_t* data, size_t size)
{
    if (size <= UINT8_MAX) { Byte(0xc4); BigEndian(size, 1); }
    else if (size <= UINT16_MAX) { Byte(0xc5); BigEndian(size, 2); }
    else { Byte(0xc6); BigEndian(size, 4); }
    if (size) out_.insert(out_.end(), data, data + size);
}

void MsgWriter::ArrayHeader(uint32_t count)
{
    if (count < 16) Byte(static_cast<uint8_t>(0x90 | count));
    else if (count <= UINT16_MAX) { Byte(0xdc); BigEndian(count, 2); }
    else { Byte(0xdd); BigEndian(count, 4); }
}

void MsgWriter::MapHeader(uint32_t count)
{
    if (count < 16) Byte(static_cast<uint8_t>(0x80 | count));
    else if (count <= UINT16_MAX) { Byte(0xde); BigEndian(count, 2); }
    else { Byte(0xdf); BigEndian(count, 4); }
}

void MsgWriter::Value(const MsgValue& v)
{
    switch (v.GetType()) {
        case MsgValue::Type::Nil: Nil(); break;
        case MsgValue::Type::Bool: Bool(v.AsBool()); break;
        case MsgValue::Type::Int: Int(v.AsInt()); break;
        case MsgValue::Type::UInt: UInt(v.AsUInt()); break;
        case MsgValue::Type::Float: Float(static_cast<float>(v.AsNumber())); break;
        case MsgValue::Type::Str: Str(v.AsStr()); break;
        case MsgValue::Type::Bin: Bin(v.AsBin().data(), v.AsBin().size()); break;
        case MsgValue::Type::Array:
            ArrayHeader(static_cast<uint32_t>(v.Items().size()));
            for (const auto& item : v.Items()) Value(item);
            break;
        case MsgValue::Type::Map:
            MapHeader(static_cast<uint32_t>(v.Entries().size()));
            for (const auto& kv : v.Entries()) { Str(kv.first); Value(kv.second); }
            break;
    }
}

// ------------------------------------------------------------------ reader
namespace {

constexpr int kMaxDepth = 32;

class Reader {
public:
    Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}

    bool Read(MsgValue& out, int depth)
    {
        if (depth > kMaxDepth) return Fail("nesting deeper than 32");
        uint8_t tag;
        if (!Take(tag)) return false;
        if (tag <= 0x7f) { out = MsgValue::Int(tag); return true; }
        if (tag >= 0xe0) { out = MsgValue::Int(static_cast<int8_t>(tag)); return true; }
        if ((tag & 0xf0) == 0x80) return ReadMap(out, tag & 0x0f, depth);
        if ((tag & 0xf0) == 0x90) return ReadArray(out, tag & 0x0f, depth);
        if ((tag & 0xe0) == 0xa0) return ReadStr(out, tag & 0x1f);
        uint64_t n = 0;
        switch (tag) {
            case 0xc0: out = MsgValue::Nil(); return true;
            case 0xc2: out = MsgValue::Bool(false); return true;
            case 0xc3: out = MsgValue::Bool(true); return true;
            case 0xc4: return Be(n, 1) && ReadBin(out, n);
            case 0xc5: return Be(n, 2) && ReadBin(out, n);
            case 0xc6: return Be(n, 4) && ReadBin(out, n);
            case 0xca: {
                if (!Be(n, 4)) return false;
                uint32_t bits = static_cast<uint32_t>(n);
                float f;
                std::memcpy(&f, &bits, 4);
                out = MsgValue::Float(f);
                return true;
            }
            case 0xcb: {
                if (!Be(n, 8)) return false;
                double d;
                std::memcpy(&d, &n, 8);
                out = MsgValue::Float(d);
                return true;
            }
            case 0xcc: if (!Be(n, 1)) return false; out = MsgValue::UInt(n); return true;
            case 0xcd: if (!Be(n, 2)) return false; out = MsgValue::UInt(n); return true;
            case 0xce: if (!Be(n, 4)) return false; out = MsgValue::UInt(n); return true;
            case 0xcf: if (!Be(n, 8)) return false; out = MsgValue::UInt(n); return true;
            case 0xd0: if (!Be(n, 1)) return false; out = MsgValue::Int(static_cast<int8_t>(n)); return true;
            case 0xd1: if (!Be(n, 2)) return false; out = MsgValue::Int(static_cast<int16_t>(n)); return true;
            case 0xd2: if (!Be(n, 4)) return false; out = MsgValue::Int(static_cast<int32_t>(n)); return true;
            case 0xd3: if (!Be(n, 8)) return false; out = MsgValue::Int(static_cast<int64_t>(n)); return true;
            case 0xd9: return Be(n, 1) && ReadStr(out, n);
            case 0xda: return Be(n, 2) && ReadStr(out, n);
            case 0xdb: return Be(n, 4) && ReadStr(out, n);
            case 0xdc: return Be(n, 2) && ReadArray(out, n, depth);
            case 0xdd: return Be(n, 4) && ReadArray(out, n, depth);
            case 0xde: return Be(n, 2) && ReadMap(out, n, depth);
            case 0xdf: return Be(n, 4) && ReadMap(out, n, depth);
            default: return Fail("unsupported msgpack type (ext or reserved)");
        }
    }

    bool AtEnd() const { return p_ == end_; }
    const std::string& Error() const { return error_; }

private:
    bool Fail(const char* why) { if (error_.empty()) error_ = why; return false; }
    size_t Left() const { return static_cast<size_t>(end_ - p_); }
    bool Take(uint8_t& b)
    {
        if (p_ >= end_) return Fail("truncated");
        b = *p_++;
        return true;
    }
    bool Be(uint64_t& v, int bytes)
    {
        if (Left() < static_cast<size_t>(bytes)) return Fail("truncated");
        v = 0;
        for (int i = 0; i < bytes; ++i) v = (v << 8) | *p_++;
        return true;
    }
    bool ReadStr(MsgValue& out, uint64_t n)
    {
        if (Left() < n) return Fail("truncated str");
        out = MsgValue::Str(std::string(reinterpret_cast<const char*>(p_), static_cast<size_t>(n)));
        p_ += n;
        return true;
    }
    bool ReadBin(MsgValue& out, uint64_t n)
    {
        if (Left() < n) return Fail("truncated bin");
        out = MsgValue::Bin(std::vector<uint8_t>(p_, p_ + n));
        p_ += n;
        return true;
    }
    bool ReadArray(MsgValue& out, uint64_t n, int depth)
    {
        if (n > Left()) return Fail("array longer than the data");  // each item takes >= 1 byte
        std::vector<MsgValue> items(static_cast<size_t>(n));
        for (auto& item : items)
            if (!Read(item, depth + 1)) return false;
        out = MsgValue::Array(std::move(items));
        return true;
    }
    bool ReadMap(MsgValue& out, uint64_t n, int depth)
    {
        if (n > Left() / 2) return Fail("map longer than the data");
        MsgValue::MapEntries entries;
        entries.reserve(static_cast<size_t>(n));
        for (uint64_t i = 0; i < n; ++i) {
            MsgValue key, value;
            if (!Read(key, depth + 1)) return false;
            if (!key.IsStr()) return Fail("map key is not a str");
            if (!Read(value, depth + 1)) return false;
            entries.emplace_back(key.AsStr(), std::move(value));
        }
        out = MsgValue::Map(std::move(entries));
        return true;
    }

    const uint8_t* p_;
    const uint8_t* end_;
    std::string error_;
};

}  // namespace

MsgParseResult ParseMsgPack(const uint8_t* data, size_t size)
{
    MsgParseResult result;
    Reader reader(data, size);
    if (!reader.Read(result.value, 0)) {
        result.error = reader.Error();
        return result;
    }
    if (!reader.AtEnd()) {
        result.error = "extra bytes after the msgpack value";
        return result;
    }
    result.ok = true;
    return result;
}

}  // namespace FacePlexCore
