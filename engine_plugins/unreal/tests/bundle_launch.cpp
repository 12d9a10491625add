// Launches the daemon bundle the way the Unreal glue does, with the core's own launcher: the
// executable found by FindBundledDaemon in FOLDER, the command from DaemonCommand (with our pid as
// --parent-pid). Prints "READY <url> <token>" once the ready line came, keeps the daemon
// supervised until our stdin closes, then stops it and prints "STOPPED <ms>". The live tests then
// connect to that URL (tests/test_bundle.py). Usage: bundle_launch FOLDER
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "Core/DaemonLauncher.h"
#include "Core/Process.h"

using namespace FacePlexCore;

static int64_t NowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int main(int argc, char** argv)
{
    if (argc != 2) { std::fprintf(stderr, "usage: bundle_launch FOLDER\n"); return 2; }
    const std::string exe = FindBundledDaemon({argv[1]});
    if (exe.empty()) { std::printf("FAIL no %s in %s\n", BundledDaemonFileName(), argv[1]); return 1; }
    DaemonLauncherOptions o;
    o.Command = DaemonCommand(exe, CurrentProcessId());
    o.ReadyTimeoutMs = 600000;  // a hang guard: the first start on a loaded machine reads a cold disk
    DaemonLauncher launcher(o);
    launcher.Start(NowMs());
    bool ready = false;
    bool eof = false;
    while (!eof) {
        if (launcher.Tick(NowMs()) && !ready) {
            ready = true;
            std::printf("READY %s %s %lld\n", launcher.Ready().Url.c_str(), launcher.Ready().Token.c_str(),
                        static_cast<long long>(launcher.Ready().Pid));
            std::fflush(stdout);
        }
        pollfd p{0, POLLIN, 0};
        if (poll(&p, 1, 20) > 0) {
            char buf[256];
            if (read(0, buf, sizeof buf) <= 0) eof = true;
        }
    }
    const int64_t t0 = NowMs();
    launcher.Stop();
    std::printf("STOPPED %lld\n", static_cast<long long>(NowMs() - t0));
    return 0;
}
