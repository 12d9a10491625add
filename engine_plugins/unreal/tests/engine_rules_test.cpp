// Rules the Unreal glue takes from the engine-free core (issue 21 items 4 and 6), without an
// engine: Live Link subject names for several characters, and when the microphone opens, reopens
// or closes its device. Prints "PASS name" / "FAIL name: why" lines; exits non-zero on failure.
#include <cstdio>
#include <string>
#include <vector>

#include "Core/ClientSession.h"
#include "Core/Codec.h"
#include "Core/LiveLinkSubjects.h"
#include "Core/MicSupervisor.h"

using namespace FacePlexCore;

namespace {

int failures = 0;

void Check(bool ok, const char* name, const std::string& why = "")
{
    // "PASS name detail" (tests/test_cpp_core.py splits on the first two spaces)
    std::printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name, why.empty() ? "" : " ", why.c_str());
    if (!ok) ++failures;
}

std::string Str(int64_t v) { return std::to_string(v); }

void SubjectNames()
{
    // Two characters in a level (actor object names as a saved level keeps them), a second
    // FacePlex component on one of them, and an actor name with characters FNames dislike.
    const std::string a = DefaultSubjectName("BP_Ada_C_1", "FacePlexCharacter");
    const std::string b = DefaultSubjectName("BP_Guard_C_3", "FacePlexCharacter");
    const std::string a2 = DefaultSubjectName("BP_Ada_C_1", "FacePlexCharacter1");
    const std::string odd = DefaultSubjectName("Guard (Gate).2", "FacePlexCharacter");
    Check(a == "FacePlex_BP_Ada_C_1" && b == "FacePlex_BP_Guard_C_3" && a2 == "FacePlex_BP_Ada_C_1_FacePlexCharacter1" &&
              odd == "FacePlex_Guard__Gate__2",
          "subject_default_unique_per_character", a + " " + b + " " + a2 + " " + odd);
    // Stable: the same inputs give the same name (no counters, no pointers, no time).
    Check(DefaultSubjectName("BP_Ada_C_1", "FacePlexCharacter") == a, "subject_default_stable");

    SubjectRegistry r;
    const bool firstUnique = r.Claim("FacePlex", "/Game/Map.Map:PersistentLevel.Ada.Face").empty();
    const std::vector<std::string> dup = r.Claim("FacePlex", "/Game/Map.Map:PersistentLevel.Guard.Face");
    Check(firstUnique && dup.size() == 1 && dup[0] == "/Game/Map.Map:PersistentLevel.Ada.Face",
          "subject_duplicate_reported_with_holder", Str(static_cast<int64_t>(dup.size())));
    // One character's EndPlay must not remove the subject the other still publishes.
    const bool firstLeaves = r.Release("FacePlex", "/Game/Map.Map:PersistentLevel.Ada.Face");
    const bool lastLeaves = r.Release("FacePlex", "/Game/Map.Map:PersistentLevel.Guard.Face");
    Check(!firstLeaves && lastLeaves && r.Holders("FacePlex") == 0, "subject_removed_only_by_last_holder");
    Check(r.Claim("FacePlex_BP_Ada_C_1", "x").empty() && r.Claim("FacePlex_BP_Ada_C_1", "x").empty() &&
              r.Holders("FacePlex_BP_Ada_C_1") == 1 && !r.Release("FacePlex_BP_Ada_C_1", "y"),
          "subject_claim_idempotent_release_by_holder_only");
}

/** A capture device the test plugs and unplugs; Open() fails while it is unplugged. As the
 *  capture backends do, a stream whose device was unplugged stays "open" but never calls back
 *  again, also after the device is plugged back: only a new stream delivers. */
struct FakeDevice {
    bool plugged = true;
    bool open = false;
    bool streamDead = false;  // the open stream lost its device
    bool Open()
    {
        open = plugged;
        streamDead = !plugged;
        return open;
    }
    void Unplug()
    {
        plugged = false;
        streamDead = true;
    }
    bool Delivers() const { return open && plugged && !streamDead; }
};

void MicStartsOnConnectAndResumesAfterReplug()
{
    ClientSession s;
    MicSupervisor sup;
    FakeDevice dev;
    int64_t now = 0;
    const int64_t tick = 16667;  // a 60 Hz game tick, us
    std::vector<int16_t> block(480, 1000);
    int64_t opens = 0;
    auto step = [&](bool wanted) {
        // Capture thread: a 10 ms block per tick (so 40 ms mic messages come every ~4 ticks) while the stream is open on a plugged device.
        if (dev.Delivers()) {
            s.SendMic(block.data(), block.size(), 48000, 1);
            sup.NoteCaptured(block.size());
        }
        const bool sessionOpen = s.State() == SessionState::Open;
        switch (sup.Tick(now, wanted, sessionOpen, dev.open)) {
        case MicSupervisor::Action::Open:
        case MicSupervisor::Action::Reopen:
            dev.open = false;
            ++opens;
            sup.OpenResult(now, dev.Open());
            break;
        case MicSupervisor::Action::Close: dev.open = false; break;
        case MicSupervisor::Action::None: break;
        }
        s.PumpMic();
        now += tick;
    };
    auto micMessages = [&]() {
        int64_t n = 0;
        for (const auto& bytes : s.TakeOutgoing()) {
            DecodeResult d = Decode(bytes.data(), bytes.size());
            if (d.Ok && std::get_if<MicMsg>(&d.Msg)) ++n;
        }
        return n;
    };

    // The microphone begins before its character's session exists: it waits, opening nothing.
    for (int i = 0; i < 30; ++i) step(true);
    Check(!dev.open && opens == 0 && micMessages() == 0, "mic_waits_for_session");
    // The session opens (welcome): the microphone starts at once and mic messages flow.
    s.Hello();
    WelcomeMsg w;
    w.Session = "s";
    w.Server = "t";
    w.Channels = {"jawOpen"};
    const std::vector<uint8_t> wb = Encode(w);
    s.Receive(wb.data(), wb.size());
    s.TakeOutgoing();
    step(true);
    for (int i = 0; i < 30; ++i) step(true);
    const int64_t flowing = micMessages();
    Check(dev.open && opens == 1 && flowing >= 5, "mic_starts_on_connect", Str(flowing) + " mic messages");

    // Unplugged: callbacks stop; after SilentUs the stream is reopened, which fails while the
    // device is missing and is retried every RetryUs (no busy loop, no throw).
    dev.Unplug();
    for (int i = 0; i < 60 * 5; ++i) step(true);  // 5 s unplugged
    const int64_t duringUnplug = micMessages();
    const int64_t triesUnplugged = opens - 1;
    Check(!dev.open && sup.Reopens() == 1 && triesUnplugged >= 2 && triesUnplugged <= 4 && sup.Failures() >= 2,
          "mic_unplug_detected_and_retried",
          "reopens " + Str(sup.Reopens()) + ", tries " + Str(triesUnplugged) + ", failures " + Str(sup.Failures()) +
              ", messages " + Str(duringUnplug));
    // Plugged back in: the next retry opens it and listening resumes.
    dev.plugged = true;
    for (int i = 0; i < 60 * 3; ++i) step(true);
    const int64_t resumed = micMessages();
    Check(dev.open && sup.Failures() == 0 && resumed >= 10, "mic_resumes_after_replug", Str(resumed) + " mic messages");

    // Disconnect: the stream closes; the next session opens it again (start on every connect).
    s.Disconnected();
    step(true);
    const bool closed = !dev.open;
    s.Hello();
    s.Receive(wb.data(), wb.size());
    s.TakeOutgoing();
    step(true);
    Check(closed && dev.open, "mic_closes_on_disconnect_reopens_on_reconnect");
    // Not wanted (StopListening): closed and stays closed.
    step(false);
    step(false);
    Check(!dev.open, "mic_closed_when_not_wanted");
}

}  // namespace

int main()
{
    SubjectNames();
    MicStartsOnConnectAndResumesAfterReplug();
    std::printf("%s %d failures\n", failures ? "FAILED" : "ALL PASSED", failures);
    return failures ? 1 : 0;
}
