// FacePlex core: a child process with pipes, behind a small interface (POSIX and Win32 versions).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace FacePlexCore {

/** A running child: we hold its stdin open (closing it tells `faceplex serve --exit-on-stdin-eof`
 *  to exit) and read its stdout line by line; its stderr is appended to a log file when one is
 *  given (a game on Windows has no console: the parent's stderr handle is NULL there and the
 *  daemon's errors would be lost), else it goes where ours goes. */
class ChildProcess {
public:
    virtual ~ChildProcess() = default;
    /** Next complete stdout line without its newline, if one is available now (never blocks). */
    virtual bool TryReadLine(std::string& line) = 0;
    /** False once the process has exited (its exit code then in ExitCode()). */
    virtual bool IsRunning() = 0;
    virtual int ExitCode() const = 0;
    virtual int64_t Pid() const = 0;
    /** Close stdin, wait up to `graceMs` for the child to exit, then terminate it and reap it. */
    virtual void Stop(int graceMs) = 0;
};

/** This process's id (getpid / GetCurrentProcessId): what `serve --parent-pid` is given, so a
 *  daemon kept across editor Play sessions still dies with the editor. */
int64_t CurrentProcessId();

/** True when `path` (UTF-8) names an existing regular file we may execute (POSIX: access X_OK;
 *  Windows: an existing file that is not a folder). */
bool IsExecutableFile(const std::string& path);

/** Start `argv[0]` (searched in PATH) with `argv`; `stderrPath` (UTF-8, may be empty): the file
 *  the child's stderr is appended to. nullptr and `error` set on failure. */
std::unique_ptr<ChildProcess> StartChildProcess(const std::vector<std::string>& argv, std::string& error,
                                                const std::string& stderrPath = std::string());

}  // namespace FacePlexCore
