// DaemonLauncher against the real daemon: start, ready line, restart with back-off after a
// crash (SIGKILL), stop with the game. Usage: launcher_test CMD ARGS...  (e.g. python -m
// faceplex.bridge.cli serve --port 0 --exit-on-stdin-eof). PASS/FAIL lines like the other tests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <fstream>
#include <iterator>
#include <sys/stat.h>

#include "Core/DaemonLauncher.h"
#include "Core/Process.h"

using namespace FacePlexCore;

namespace {

int failures = 0;

void Report(bool ok, const char* name, const std::string& detail)
{
    std::printf("%s %s %s\n", ok ? "PASS" : "FAIL", name, detail.c_str());
    std::fflush(stdout);
    if (!ok) ++failures;
}

int64_t NowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool TickUntilReady(DaemonLauncher& l, int64_t timeoutMs)
{
    const int64_t deadline = NowMs() + timeoutMs;
    while (NowMs() < deadline) {
        if (l.Tick(NowMs())) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

bool PortOpen(int64_t port)
{
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    return ok;
}

bool Alive(int64_t pid) { return pid > 0 && kill(static_cast<pid_t>(pid), 0) == 0; }

}  // namespace

int main(int argc, char** argv)
{
    DaemonReady r;
    const bool parsed = ParseReadyLine(R"({"event": "ready", "port": 50231, "pid": 4242, "protocol": 1, "url": "ws://127.0.0.1:50231/", "page": "http://127.0.0.1:50231/#token=tX-9_a", "token": "tX-9_a"})", r);
    DaemonReady bad, old;
    ParseReadyLine(R"({"event": "ready", "port": 50231})", old);
    Report(parsed && r.Port == 50231 && r.Pid == 4242 && r.Url == "ws://127.0.0.1:50231/" && r.Token == "tX-9_a" &&
               old.Token.empty() &&
               !ParseReadyLine("Loading voice...", bad) && !ParseReadyLine(R"({"event": "error", "port": 1})", bad),
           "ready_line_parse", r.Url);
    {
        // The child's stderr goes to a log file (a Windows game has no stderr of its own).
        const std::string log = "/tmp/faceplex_launcher_test_" + std::to_string(getpid()) + ".log";
        std::string err;
        auto child = StartChildProcess({"/bin/sh", "-c", "echo daemon-said-this >&2"}, err, log);
        for (int i = 0; child && child->IsRunning() && i < 6000; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::ifstream in(log);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::remove(log.c_str());
        Report(child && text.find("daemon-said-this") != std::string::npos, "stderr_to_log_file", text);
    }
    {
        // A stand-in daemon whose ready line says protocol 2 (and that would then run for a minute): refused,
        // stopped, never restarted, and the error names both versions (PROTOCOL.md §9).
        DaemonLauncherOptions vo;
        vo.Command = {"/bin/sh", "-c",
                      R"(echo '{"event": "ready", "port": 50231, "pid": 4242, "protocol": 2, "token": "t"}'; exec sleep 60)"};
        vo.RestartBackoffMinMs = 10;
        DaemonLauncher v2(vo);
        v2.Start(NowMs());
        const int64_t pid = v2.ChildPid();
        bool becameReady = false;
        for (int64_t deadline = NowMs() + 120000; NowMs() < deadline && v2.State() == DaemonState::Starting;) {
            becameReady |= v2.Tick(NowMs());
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        for (int i = 0; i < 100; ++i) becameReady |= v2.Tick(NowMs());  // no restart follows
        const auto& info = v2.Incompatible();
        const std::string msg = info ? info->Message : v2.LastError();
        Report(!becameReady && v2.State() == DaemonState::Incompatible && v2.Restarts() == 0 && v2.ChildPid() == 0 &&
                   info && info->DaemonProtocol == 2 && info->ClientProtocol == 1 && info->Source == "ready line" &&
                   msg.find("protocol 2") != std::string::npos && msg.find("protocol 1") != std::string::npos,
               "ready_line_protocol_2_refused", msg);
        for (int i = 0; i < 200 && Alive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        Report(!Alive(pid), "incompatible_daemon_stopped", std::to_string(pid));
    }
    {
        // The bundle is found in the first folder that holds an executable faceplex-daemon: an
        // empty folder and one whose file is not executable are passed over (trailing '/' or not).
        const std::string base = "/tmp/faceplex_bundle_find_" + std::to_string(getpid());
        const std::string empty = base + "/empty", noexec = base + "/noexec", good = base + "/good";
        for (const std::string& d : {base, empty, noexec, good}) mkdir(d.c_str(), 0755);
        std::ofstream(noexec + "/faceplex-daemon") << "#!/bin/sh\n";
        std::ofstream(good + "/faceplex-daemon") << "#!/bin/sh\n";
        chmod((good + "/faceplex-daemon").c_str(), 0755);
        const std::string found = FindBundledDaemon({"", empty, noexec + "/", good + "/"});
        const std::string none = FindBundledDaemon({empty, noexec});
        Report(found == good + "/faceplex-daemon" && none.empty() && std::string(BundledDaemonFileName()) == "faceplex-daemon",
               "bundle_path_resolution", found);
        for (const std::string& f : {noexec + "/faceplex-daemon", good + "/faceplex-daemon"}) std::remove(f.c_str());
        for (const std::string& d : {empty, noexec, good, base}) rmdir(d.c_str());
    }
    {
        // The editor keeps one daemon across Play sessions: it is told our pid and exits with us.
        const auto cmd = DaemonCommand("/x/faceplex-daemon", CurrentProcessId(), "/logs/d.log", {"--motion", "rfm"});
        const std::vector<std::string> want = {"/x/faceplex-daemon", "serve", "--port", "0", "--exit-on-stdin-eof",
                                               "--parent-pid", std::to_string(getpid()), "--log-file", "/logs/d.log",
                                               "--motion", "rfm"};
        const auto plain = DaemonCommand("faceplex");
        Report(cmd == want && plain.size() == 5 && CurrentProcessId() == getpid(), "daemon_command_parent_pid",
               cmd[6]);
    }
    if (argc < 2) { std::fprintf(stderr, "usage: launcher_test CMD ARGS...\n"); return 2; }

    DaemonLauncherOptions o;
    o.Command.assign(argv + 1, argv + argc);
    o.RestartBackoffMinMs = 300;
    DaemonLauncher launcher(o);
    launcher.Start(NowMs());
    const bool ready = TickUntilReady(launcher, 60000);
    const DaemonReady first = launcher.Ready();
    Report(ready && PortOpen(first.Port) && first.Pid == launcher.ChildPid(), "start_and_ready",
           ready ? first.Url + " pid " + std::to_string(first.Pid) : launcher.LastError());
    if (!ready) return 1;

    kill(static_cast<pid_t>(first.Pid), SIGKILL);  // the daemon crashes
    const int64_t killedAt = NowMs();
    int64_t respawnAt = 0;
    bool restarted = false;
    const int64_t deadline = NowMs() + 60000;
    while (NowMs() < deadline && !restarted) {
        restarted = launcher.Tick(NowMs());
        if (!respawnAt && launcher.State() == DaemonState::Starting) respawnAt = NowMs();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const DaemonReady second = launcher.Ready();
    Report(restarted && launcher.Restarts() == 1 && second.Pid != first.Pid && PortOpen(second.Port) &&
               respawnAt - killedAt >= o.RestartBackoffMinMs,
           "restart_after_crash_with_backoff",
           "respawned " + std::to_string(respawnAt - killedAt) + " ms after the crash (back-off " +
               std::to_string(o.RestartBackoffMinMs) + " ms), new pid " + std::to_string(second.Pid) + ", " + second.Url +
               " (" + launcher.LastError() + ")");

    const int64_t stopAt = NowMs();
    launcher.Stop();
    const int64_t stopMs = NowMs() - stopAt;
    Report(!Alive(second.Pid) && launcher.State() == DaemonState::Stopped && !PortOpen(second.Port), "stop_with_game",
           "daemon gone " + std::to_string(stopMs) + " ms after Stop()");
    std::printf("%s %d failures\n", failures ? "FAILED" : "ALL PASSED", failures);
    return failures ? 1 : 0;
}
