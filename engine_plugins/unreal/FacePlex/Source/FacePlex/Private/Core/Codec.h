// FacePlex core: sans-I/O codec for protocol v1 (bytes <-> Message). No sockets, no clocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "Messages.h"

namespace FacePlexCore {

/** Which side's messages a decoder accepts. */
enum class Direction { ClientToDaemon, DaemonToClient, Any };

/** Outcome of decoding one binary WebSocket message. */
struct DecodeResult {
    bool Ok = false;
    Message Msg;
    /** On failure: a protocol error code (malformed_msgpack, malformed_message, unknown_type,
     *  invalid_field) and a human-readable reason. */
    std::string ErrorCode;
    std::string ErrorMessage;
    /** The message's `id`, if it had a string one (what an error reply would carry). */
    std::optional<std::string> ReplyTo;
};

/** Canonical msgpack bytes of `msg` (key order as PROTOCOL.md, nil for absent optionals, float32). */
std::vector<uint8_t> Encode(const Message& msg);

/** Decode one message. Accepts any valid msgpack; unknown keys are ignored; wrong field types fail
 *  (no coercion: "5" is not 5; an int is accepted where a float is expected). */
DecodeResult Decode(const uint8_t* data, size_t size, Direction direction = Direction::Any);

}  // namespace FacePlexCore
