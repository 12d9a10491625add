// POSIX ChildProcess: posix_spawnp with a stdin pipe and a non-blocking stdout pipe.
#if !defined(_WIN32)

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "Process.h"

extern char** environ;

namespace FacePlexCore {

namespace {

bool MakePipe(int fds[2])
{
    if (pipe(fds) != 0) return false;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);  // our ends never leak into other children
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return true;
}

void SleepMs(int ms)
{
    timespec ts{ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, nullptr);
}

class PosixChild final : public ChildProcess {
public:
    PosixChild(pid_t pid, int stdinFd, int stdoutFd) : pid_(pid), stdin_(stdinFd), stdout_(stdoutFd) {}
    ~PosixChild() override { Stop(0); }

    bool TryReadLine(std::string& line) override
    {
        char buf[4096];
        while (stdout_ >= 0) {
            const ssize_t n = read(stdout_, buf, sizeof buf);
            if (n > 0) { pending_.append(buf, static_cast<size_t>(n)); continue; }
            if (n == 0) { close(stdout_); stdout_ = -1; }  // EOF
            break;                                          // EAGAIN: nothing more now
        }
        const size_t nl = pending_.find('\n');
        if (nl == std::string::npos) return false;
        line = pending_.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        pending_.erase(0, nl + 1);
        return true;
    }

    bool IsRunning() override
    {
        if (pid_ <= 0) return false;
        int status = 0;
        const pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == 0) return true;
        if (r == pid_) exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        pid_ = -1;
        return false;
    }

    int ExitCode() const override { return exitCode_; }
    int64_t Pid() const override { return pidForCaller_; }

    void Stop(int graceMs) override
    {
        if (stdin_ >= 0) { close(stdin_); stdin_ = -1; }
        const pid_t pid = pid_;
        if (pid > 0) {
            if (!WaitExit(graceMs / 2)) {
                kill(pid, SIGTERM);
                if (!WaitExit(graceMs - graceMs / 2)) {
                    kill(pid, SIGKILL);
                    WaitExit(-1);
                }
            }
        }
        if (stdout_ >= 0) { close(stdout_); stdout_ = -1; }
    }

    void SetCallerPid(int64_t pid) { pidForCaller_ = pid; }

private:
    /** Poll for exit for up to `ms` (-1: block). */
    bool WaitExit(int ms)
    {
        if (ms < 0) {
            int status = 0;
            if (pid_ > 0 && waitpid(pid_, &status, 0) == pid_)
                exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            pid_ = -1;
            return true;
        }
        for (int waited = 0;; waited += 10) {
            if (!IsRunning()) return true;
            if (waited >= ms) return false;
            SleepMs(10);
        }
    }

    pid_t pid_;
    int64_t pidForCaller_ = 0;
    int stdin_;
    int stdout_;
    int exitCode_ = -1;
    std::string pending_;
};

}  // namespace

std::unique_ptr<ChildProcess> StartChildProcess(const std::vector<std::string>& argv, std::string& error,
                                                const std::string& stderrPath)
{
    if (argv.empty()) { error = "empty command"; return nullptr; }
    int in[2], out[2];
    if (!MakePipe(in)) { error = std::strerror(errno); return nullptr; }
    if (!MakePipe(out)) { error = std::strerror(errno); close(in[0]); close(in[1]); return nullptr; }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    if (!stderrPath.empty())
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderrPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);

    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        error = "cannot start " + argv[0] + ": " + std::strerror(rc);
        close(in[1]);
        close(out[0]);
        return nullptr;
    }
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    auto child = std::make_unique<PosixChild>(pid, in[1], out[0]);
    child->SetCallerPid(pid);
    return child;
}

int64_t CurrentProcessId() { return static_cast<int64_t>(getpid()); }

bool IsExecutableFile(const std::string& path)
{
    struct stat st;
    return !path.empty() && stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

}  // namespace FacePlexCore

#endif  // !_WIN32
