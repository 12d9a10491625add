#include "DaemonLauncher.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace FacePlexCore {

namespace {

size_t SkipSpace(const std::string& s, size_t i)
{
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
    return i;
}

/** The value of top-level `key` in a flat JSON object: a string (unescaped) or a raw number. */
bool JsonField(const std::string& s, const std::string& key, std::string& value, bool& isString)
{
    const std::string quoted = "\"" + key + "\"";
    size_t i = 0;
    while ((i = s.find(quoted, i)) != std::string::npos) {
        size_t j = SkipSpace(s, i + quoted.size());
        if (j >= s.size() || s[j] != ':') { i += quoted.size(); continue; }
        j = SkipSpace(s, j + 1);
        if (j < s.size() && s[j] == '"') {
            value.clear();
            for (++j; j < s.size() && s[j] != '"'; ++j) {
                if (s[j] == '\\' && j + 1 < s.size()) ++j;  // simple escapes (\" \\ \/) only
                value.push_back(s[j]);
            }
            isString = true;
            return j < s.size();
        }
        size_t k = j;
        while (k < s.size() && (std::isdigit(static_cast<unsigned char>(s[k])) || s[k] == '-')) ++k;
        value = s.substr(j, k - j);
        isString = false;
        return !value.empty();
    }
    return false;
}

}  // namespace

bool ParseReadyLine(const std::string& line, DaemonReady& out)
{
    std::string v;
    bool isString = false;
    if (!JsonField(line, "event", v, isString) || !isString || v != "ready") return false;
    if (!JsonField(line, "port", v, isString) || isString) return false;
    out.Port = std::strtoll(v.c_str(), nullptr, 10);
    if (out.Port <= 0 || out.Port > 65535) return false;
    out.Pid = JsonField(line, "pid", v, isString) && !isString ? std::strtoll(v.c_str(), nullptr, 10) : 0;
    if (JsonField(line, "url", v, isString) && isString) out.Url = v;
    else out.Url = "ws://127.0.0.1:" + std::to_string(out.Port) + "/";
    out.Token = JsonField(line, "token", v, isString) && isString ? v : std::string();
    out.Protocol = JsonField(line, "protocol", v, isString) && !isString ? std::strtoll(v.c_str(), nullptr, 10) : 0;
    return true;
}

const char* BundledDaemonFileName()
{
#if defined(_WIN32)
    return "faceplex-daemon.exe";
#else
    return "faceplex-daemon";
#endif
}

std::string FindBundledDaemon(const std::vector<std::string>& folders)
{
    for (std::string folder : folders) {
        if (folder.empty()) continue;
        const char last = folder.back();
        if (last != '/' && last != '\\') folder.push_back('/');
        const std::string path = folder + BundledDaemonFileName();
        if (IsExecutableFile(path)) return path;
    }
    return std::string();
}

std::vector<std::string> DaemonCommand(const std::string& executable, int64_t parentPid, const std::string& logFile,
                                       const std::vector<std::string>& extra)
{
    std::vector<std::string> cmd = {executable, "serve", "--port", "0", "--exit-on-stdin-eof"};
    if (parentPid > 0) {
        cmd.push_back("--parent-pid");
        cmd.push_back(std::to_string(parentPid));
    }
    if (!logFile.empty()) {
        cmd.push_back("--log-file");
        cmd.push_back(logFile);
    }
    cmd.insert(cmd.end(), extra.begin(), extra.end());
    return cmd;
}

DaemonLauncher::DaemonLauncher(DaemonLauncherOptions options) : options_(std::move(options)) {}

DaemonLauncher::~DaemonLauncher() { Stop(); }

bool DaemonLauncher::Start(int64_t nowMs)
{
    incompatible_.reset();
    backoffMs_ = 0;
    restarts_ = 0;
    return Spawn(nowMs);
}

bool DaemonLauncher::Spawn(int64_t nowMs)
{
    std::string error;
    child_ = StartChildProcess(options_.Command, error, options_.StderrPath);
    if (!child_) {
        ScheduleRestart(nowMs, error);
        return false;
    }
    state_ = DaemonState::Starting;
    startedMs_ = nowMs;
    return true;
}

void DaemonLauncher::ScheduleRestart(int64_t nowMs, const std::string& why)
{
    lastError_ = why;
    if (child_) child_->Stop(0);
    child_.reset();
    backoffMs_ = backoffMs_ == 0 ? options_.RestartBackoffMinMs : std::min(backoffMs_ * 2, options_.RestartBackoffMaxMs);
    nextRestartMs_ = nowMs + backoffMs_;
    state_ = DaemonState::WaitingToRestart;
}

bool DaemonLauncher::Tick(int64_t nowMs)
{
    switch (state_) {
        case DaemonState::Stopped:
        case DaemonState::Incompatible:
            return false;
        case DaemonState::WaitingToRestart:
            if (nowMs >= nextRestartMs_) {
                ++restarts_;
                Spawn(nowMs);
            }
            return false;
        case DaemonState::Starting: {
            std::string line;
            while (child_->TryReadLine(line)) {
                DaemonReady ready;
                if (ParseReadyLine(line, ready)) {
                    // A ready line without "protocol" (every FacePlex daemon prints it; a stand-in may not) is left to the welcome's check.
                    auto bad = ready.Protocol == 0 ? std::nullopt : CheckDaemonProtocol(ready.Protocol, "ready line");
                    if (bad) {
                        // The same executable would print the same version again: stop, never restart.
                        incompatible_ = bad;
                        lastError_ = bad->Message;
                        child_->Stop(0);
                        child_.reset();
                        state_ = DaemonState::Incompatible;
                        return false;
                    }
                    ready_ = ready;
                    state_ = DaemonState::Running;
                    return true;
                }
            }
            if (!child_->IsRunning()) {
                ScheduleRestart(nowMs, "daemon exited before its ready line (exit code " + std::to_string(child_->ExitCode()) + ")");
            } else if (nowMs - startedMs_ > options_.ReadyTimeoutMs) {
                ScheduleRestart(nowMs, "no ready line within " + std::to_string(options_.ReadyTimeoutMs) + " ms");
            }
            return false;
        }
        case DaemonState::Running: {
            std::string line;
            while (child_->TryReadLine(line)) {}  // keep its stdout pipe from filling up
            if (!child_->IsRunning()) {
                if (nowMs - startedMs_ > options_.StableAfterMs) backoffMs_ = 0;
                ScheduleRestart(nowMs, "daemon exited (exit code " + std::to_string(child_->ExitCode()) + ")");
            }
            return false;
        }
    }
    return false;
}

void DaemonLauncher::Stop()
{
    if (child_) child_->Stop(options_.StopGraceMs);
    child_.reset();
    state_ = DaemonState::Stopped;
}

}  // namespace FacePlexCore
