// FacePlex core: a small msgpack value, writer and reader (no engine headers, no exceptions).
//
// Only what protocol v1 needs: nil, bool, int, float, str, bin, array and maps with str keys.
// The writer produces the protocol's canonical form (ints in their shortest encoding, floats as
// float32); the reader accepts any valid msgpack (float64, any int width, any key order).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace FacePlexCore {

/** A decoded msgpack value. Maps keep their key order (canonical re-encoding depends on it). */
class MsgValue {
public:
    enum class Type { Nil, Bool, Int, UInt, Float, Str, Bin, Array, Map };
    using MapEntries = std::vector<std::pair<std::string, MsgValue>>;

    MsgValue() = default;
    static MsgValue Nil() { return MsgValue(); }
    static MsgValue Bool(bool b);
    static MsgValue Int(int64_t i);
    /** An unsigned integer above INT64_MAX (any smaller value is stored as Int). */
    static MsgValue UInt(uint64_t u);
    static MsgValue Float(double f);
    static MsgValue Str(std::string s);
    static MsgValue Bin(std::vector<uint8_t> b);
    static MsgValue Array(std::vector<MsgValue> items = {});
    static MsgValue Map(MapEntries entries = {});

    Type GetType() const { return type_; }
    bool IsNil() const { return type_ == Type::Nil; }
    bool IsBool() const { return type_ == Type::Bool; }
    /** True for any integer that fits int64. */
    bool IsInt() const { return type_ == Type::Int; }
    /** True for an integer or a float (a float field accepts an int, as the Python models do). */
    bool IsNumber() const { return type_ == Type::Int || type_ == Type::UInt || type_ == Type::Float; }
    bool IsStr() const { return type_ == Type::Str; }
    bool IsBin() const { return type_ == Type::Bin; }
    bool IsArray() const { return type_ == Type::Array; }
    bool IsMap() const { return type_ == Type::Map; }

    bool AsBool() const { return b_; }
    int64_t AsInt() const { return i_; }
    uint64_t AsUInt() const { return u_; }
    double AsNumber() const;
    const std::string& AsStr() const { return s_; }
    const std::vector<uint8_t>& AsBin() const { return bin_; }
    const std::vector<MsgValue>& Items() const { return items_; }
    std::vector<MsgValue>& Items() { return items_; }
    const MapEntries& Entries() const { return entries_; }
    MapEntries& Entries() { return entries_; }

    /** Map lookup by key (first match); nullptr when absent or when this is not a map. */
    const MsgValue* Find(const std::string& key) const;
    /** Append (or replace) a map entry; keeps insertion order. */
    void Set(const std::string& key, MsgValue value);

private:
    Type type_ = Type::Nil;
    bool b_ = false;
    int64_t i_ = 0;
    uint64_t u_ = 0;
    double f_ = 0.0;
    std::string s_;
    std::vector<uint8_t> bin_;
    std::vector<MsgValue> items_;
    MapEntries entries_;
};

/** Appends canonical msgpack to a byte buffer. */
class MsgWriter {
public:
    explicit MsgWriter(std::vector<uint8_t>& out) : out_(out) {}
    void Nil();
    void Bool(bool b);
    /** Shortest encoding: fixint, uint8..64 for >= 0; negative fixint, int8..64 below 0. */
    void Int(int64_t i);
    void UInt(uint64_t u);
    /** Always float32 (0xca), as the canonical form requires. */
    void Float(float f);
    void Str(const std::string& s);
    void Bin(const uint8_t* data, size_t size);
    void ArrayHeader(uint32_t count);
    void MapHeader(uint32_t count);
    /** A key followed by its value is written by the caller: Str(key) then the value. */
    void Key(const char* key) { Str(key); }
    void OptStr(const std::string* s) { if (s) Str(*s); else Nil(); }
    /** Any value, canonically (floats as float32). */
    void Value(const MsgValue& v);

private:
    void Byte(uint8_t b) { out_.push_back(b); }
    void BigEndian(uint64_t v, int bytes);
    std::vector<uint8_t>& out_;
};

/** Result of parsing one msgpack document. */
struct MsgParseResult {
    bool ok = false;
    MsgValue value;
    std::string error;  // why the bytes are not (one complete) msgpack document
};

/** Parse exactly one msgpack value spanning all of [data, data+size). Map keys must be str. */
MsgParseResult ParseMsgPack(const uint8_t* data, size_t size);

}  // namespace FacePlexCore
