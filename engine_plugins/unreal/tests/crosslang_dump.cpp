// Cross-language check: decode a recorded session (.fpxrec, see tests/crosslang_recording.py) with
// the C++ core and print one line per message, exactly as the Python and C# dumpers do.
//   crosslang_dump FILE.fpxrec
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "Core/Codec.h"

using namespace FacePlexCore;

namespace {

std::string Fnv1a64(const std::vector<uint8_t>& data)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (uint8_t b : data) h = (h ^ b) * 0x100000001B3ull;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::string FloatBits(float f)
{
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", bits);
    return buf;
}

std::string S(int64_t v) { return std::to_string(v); }

std::string Describe(const Message& msg)
{
    if (const auto* w = std::get_if<WelcomeMsg>(&msg))
        return "welcome session=" + w->Session + " sample_rate=" + S(w->Audio.SampleRate) + " fps=" + S(w->Fps) +
               " channels=" + S(static_cast<int64_t>(w->Channels.size()));
    if (const auto* a = std::get_if<AudioMsg>(&msg))
        return "audio utt=" + a->Utt + " seq=" + S(a->Seq) + " sample=" + S(a->Sample) +
               " n=" + S(static_cast<int64_t>(a->SampleCount())) + " fnv=" + Fnv1a64(a->Pcm);
    if (const auto* f = std::get_if<FaceMsg>(&msg)) {
        std::string vals;
        for (size_t i = 0; i < f->Values.size(); ++i) vals += (i ? "," : "") + FloatBits(f->Values[i]);
        return "face utt=" + (f->Utt && !f->Utt->empty() ? *f->Utt : std::string("-")) + " seq=" + S(f->Seq) +
               " frame=" + S(f->Frame) + " sample=" + S(f->Sample) + " values=" + vals;
    }
    if (const auto* m = std::get_if<MarkMsg>(&msg))
        return "mark utt=" + m->Utt + " kind=" + m->Kind + " sample=" + S(m->Sample) + " end=" + S(m->End) +
               " text=" + m->Text + " viseme=" + (m->Viseme && !m->Viseme->empty() ? *m->Viseme : std::string("-"));
    if (const auto* s = std::get_if<UtteranceStartedMsg>(&msg))
        return "utterance_started utt=" + s->Utt + " sample=" + S(s->Sample);
    if (const auto* fin = std::get_if<UtteranceFinishedMsg>(&msg))
        return "utterance_finished utt=" + fin->Utt + " sample=" + S(fin->Sample) + " samples=" + S(fin->Samples);
    if (const auto* c = std::get_if<UtteranceCancelledMsg>(&msg))
        return "utterance_cancelled utt=" + c->Utt + " reason=" + c->Reason + " sample=" + S(c->Sample) +
               " samples=" + S(c->Samples);
    return TypeName(msg);
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 2) { std::fprintf(stderr, "usage: crosslang_dump FILE.fpxrec\n"); return 2; }
    std::ifstream in(argv[1], std::ios::binary);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t i = 0;
    while (i + 4 <= data.size()) {
        const uint32_t n = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (static_cast<uint32_t>(data[i + 3]) << 24);
        i += 4;
        if (i + n > data.size()) { std::fprintf(stderr, "truncated record\n"); return 1; }
        DecodeResult r = Decode(data.data() + i, n, Direction::DaemonToClient);
        i += n;
        if (!r.Ok) { std::printf("error %s %s\n", r.ErrorCode.c_str(), r.ErrorMessage.c_str()); continue; }
        std::printf("%s\n", Describe(r.Msg).c_str());
    }
    return 0;
}
