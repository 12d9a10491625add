// FacePlex core: runs `faceplex serve --port 0`, reads its JSON ready line, restarts it with
// back-off if it dies, and stops it with the game. Non-blocking: call Tick() every frame.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "Messages.h"
#include "Process.h"

namespace FacePlexCore {

/** The daemon's first stdout line, e.g. {"event": "ready", "port": 50231, "pid": 4242, "url": "ws://...",
 *  "token": "..."}. */
struct DaemonReady {
    int64_t Port = 0;
    int64_t Pid = 0;
    std::string Url;
    /** The per-launch secret (TEAM contract 2 / PROTOCOL.md §12): send it as hello.token
     *  (ClientSessionOptions::Token). Empty from a daemon that prints none. Never log it. */
    std::string Token;
    /** The ready line's "protocol" (0 if it names none: then only the welcome is checked);
     *  checked against kProtocolVersion. */
    int64_t Protocol = 0;
};

/** Parse the ready line (a flat JSON object); false unless it has "event": "ready" and a port. */
bool ParseReadyLine(const std::string& line, DaemonReady& out);

/** The bundle's executable file name on this platform (`faceplex bundle -o DIR` writes
 *  DIR/faceplex-daemon, DIR/faceplex-daemon.exe on Windows). */
const char* BundledDaemonFileName();

/** The bundle's executable in the first of `folders` (UTF-8, absolute; '/' or '\\' separators)
 *  that holds one, as `folder/faceplex-daemon[.exe]`; empty when none does. The Unreal glue passes
 *  the plugin's and the project's Binaries/ThirdParty/FacePlexDaemon/<Platform>/ folders. */
std::string FindBundledDaemon(const std::vector<std::string>& folders);

/** The launch command: `executable serve --port 0 --exit-on-stdin-eof`, then `--parent-pid PID`
 *  when parentPid > 0 (the daemon also exits when that process is gone: an editor that keeps one
 *  daemon across Play sessions, or that crashed), `--log-file PATH` when logFile is not empty, then
 *  `extra`. */
std::vector<std::string> DaemonCommand(const std::string& executable, int64_t parentPid = 0,
                                       const std::string& logFile = std::string(),
                                       const std::vector<std::string>& extra = {});

struct DaemonLauncherOptions {
    /** Command and arguments. `--exit-on-stdin-eof` makes the daemon exit when the game does,
     *  even if the game crashes (the OS closes our end of its stdin). */
    std::vector<std::string> Command = {"faceplex", "serve", "--port", "0", "--exit-on-stdin-eof"};
    int64_t ReadyTimeoutMs = 60000;      // the daemon loads its voice before the ready line
    int64_t RestartBackoffMinMs = 500;   // first restart delay; doubles per consecutive failure
    int64_t RestartBackoffMaxMs = 30000;
    int64_t StableAfterMs = 30000;       // running this long resets the back-off
    int StopGraceMs = 3000;              // Stop(): time to exit after stdin closes, then terminate
    /** File the daemon's stderr is appended to (UTF-8 path; empty: the game's own stderr, which a
     *  Windows game does not have). The Unreal glue passes Saved/Logs/FacePlexDaemon.log. */
    std::string StderrPath;
};

/** Incompatible: its ready line named another protocol version; the daemon was stopped and is not
 *  restarted (Incompatible() says both versions: log it; PROTOCOL.md §9). */
enum class DaemonState { Stopped, Starting, Running, WaitingToRestart, Incompatible };

class DaemonLauncher {
public:
    explicit DaemonLauncher(DaemonLauncherOptions options = {});
    ~DaemonLauncher();
    DaemonLauncher(const DaemonLauncher&) = delete;
    DaemonLauncher& operator=(const DaemonLauncher&) = delete;

    /** Spawn the daemon (returns at once; false if it could not be spawned -- see LastError()). */
    bool Start(int64_t nowMs);
    /** Advance: read the ready line, notice a dead daemon, restart after the back-off.
     *  Returns true when a daemon has just become ready: connect (again) to Ready().Url. */
    bool Tick(int64_t nowMs);
    /** Stop the daemon (closes its stdin, then terminates it after StopGraceMs) and stop restarting. */
    void Stop();

    DaemonState State() const { return state_; }
    const DaemonReady& Ready() const { return ready_; }
    int Restarts() const { return restarts_; }
    int64_t NextRestartMs() const { return nextRestartMs_; }
    int64_t ChildPid() const { return child_ ? child_->Pid() : 0; }
    const std::string& LastError() const { return lastError_; }
    /** Set when a daemon of another protocol version was refused (state Incompatible). */
    const std::optional<IncompatibleDaemon>& Incompatible() const { return incompatible_; }

private:
    bool Spawn(int64_t nowMs);
    void ScheduleRestart(int64_t nowMs, const std::string& why);

    DaemonLauncherOptions options_;
    std::unique_ptr<ChildProcess> child_;
    DaemonState state_ = DaemonState::Stopped;
    DaemonReady ready_;
    int64_t startedMs_ = 0;
    int64_t nextRestartMs_ = 0;
    int64_t backoffMs_ = 0;
    int restarts_ = 0;
    std::string lastError_;
    std::optional<IncompatibleDaemon> incompatible_;
};

}  // namespace FacePlexCore
