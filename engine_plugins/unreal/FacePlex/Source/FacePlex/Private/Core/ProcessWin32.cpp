// Win32 ChildProcess: CreateProcessW with an inherited stdin pipe and a polled stdout pipe.
// (Not compiled on Linux CI; written against the documented Win32 API.)
#if defined(_WIN32)

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#if defined(__UNREAL__)  // inside UE, windows.h must be bracketed like this (the only UE include)
#include "Windows/AllowWindowsPlatformTypes.h"
#include <windows.h>
#include "Windows/HideWindowsPlatformTypes.h"
#else
#include <windows.h>
#endif

#include "Process.h"

namespace FacePlexCore {

namespace {

std::wstring Widen(const std::string& s)
{
    if (s.empty()) return std::wstring();
    const int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
    std::wstring w(static_cast<size_t>(n), L'\0');
    MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), &w[0], n);
    return w;
}

/** Quote one argument the way CommandLineToArgvW / the MSVC runtime parse it. */
std::wstring QuoteArg(const std::wstring& arg)
{
    if (!arg.empty() && arg.find_first_of(L" \t\"") == std::wstring::npos) return arg;
    std::wstring out = L"\"";
    size_t backslashes = 0;
    for (wchar_t c : arg) {
        if (c == L'\\') { ++backslashes; continue; }
        if (c == L'"') out.append(backslashes * 2 + 1, L'\\');
        else out.append(backslashes, L'\\');
        backslashes = 0;
        out.push_back(c);
    }
    out.append(backslashes * 2, L'\\');
    out.push_back(L'"');
    return out;
}

class Win32Child final : public ChildProcess {
public:
    Win32Child(PROCESS_INFORMATION pi, HANDLE stdinWrite, HANDLE stdoutRead)
        : process_(pi.hProcess), pid_(pi.dwProcessId), stdin_(stdinWrite), stdout_(stdoutRead)
    {
        CloseHandle(pi.hThread);
    }
    ~Win32Child() override
    {
        Stop(0);
        if (process_) CloseHandle(process_);
    }

    bool TryReadLine(std::string& line) override
    {
        char buf[4096];
        while (stdout_) {
            DWORD avail = 0;
            if (!PeekNamedPipe(stdout_, nullptr, 0, nullptr, &avail, nullptr)) { CloseHandle(stdout_); stdout_ = nullptr; break; }
            if (avail == 0) break;
            DWORD got = 0;
            if (!ReadFile(stdout_, buf, avail < sizeof buf ? avail : sizeof buf, &got, nullptr) || got == 0) break;
            pending_.append(buf, got);
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
        if (!process_ || exited_) return false;
        if (WaitForSingleObject(process_, 0) == WAIT_TIMEOUT) return true;
        DWORD code = 0;
        GetExitCodeProcess(process_, &code);
        exitCode_ = static_cast<int>(code);
        exited_ = true;
        return false;
    }

    int ExitCode() const override { return exitCode_; }
    int64_t Pid() const override { return pid_; }

    void Stop(int graceMs) override
    {
        if (stdin_) { CloseHandle(stdin_); stdin_ = nullptr; }  // --exit-on-stdin-eof
        if (process_ && !exited_) {
            if (WaitForSingleObject(process_, graceMs > 0 ? static_cast<DWORD>(graceMs) : 0) != WAIT_OBJECT_0)
                TerminateProcess(process_, 1);
            WaitForSingleObject(process_, INFINITE);
            IsRunning();
        }
        if (stdout_) { CloseHandle(stdout_); stdout_ = nullptr; }
    }

private:
    HANDLE process_;
    int64_t pid_;
    HANDLE stdin_;
    HANDLE stdout_;
    bool exited_ = false;
    int exitCode_ = -1;
    std::string pending_;
};

}  // namespace

std::unique_ptr<ChildProcess> StartChildProcess(const std::vector<std::string>& argv, std::string& error,
                                                const std::string& stderrPath)
{
    if (argv.empty()) { error = "empty command"; return nullptr; }
    SECURITY_ATTRIBUTES sa{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    HANDLE inRead = nullptr, inWrite = nullptr, outRead = nullptr, outWrite = nullptr;
    if (!CreatePipe(&inRead, &inWrite, &sa, 0) || !CreatePipe(&outRead, &outWrite, &sa, 0)) {
        error = "CreatePipe failed";
        return nullptr;
    }
    // Only the child's ends are inherited.
    SetHandleInformation(inWrite, HANDLE_FLAG_INHERIT, 0);
    SetHandleInformation(outRead, HANDLE_FLAG_INHERIT, 0);

    std::wstring cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? L"" : L" ") + QuoteArg(Widen(a));
    STARTUPINFOW si{};
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = inRead;
    si.hStdOutput = outWrite;
    // A game has no console: GetStdHandle(STD_ERROR_HANDLE) is NULL and the daemon's stderr would
    // be lost. Append it to the log file instead (an inheritable handle, shared so it can be read
    // while the daemon runs).
    HANDLE errFile = INVALID_HANDLE_VALUE;
    if (!stderrPath.empty())
        errFile = CreateFileW(Widen(stderrPath).c_str(), FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
                              OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    si.hStdError = errFile != INVALID_HANDLE_VALUE ? errFile : GetStdHandle(STD_ERROR_HANDLE);
    PROCESS_INFORMATION pi{};
    const BOOL ok = CreateProcessW(nullptr, &cmd[0], nullptr, nullptr, TRUE, CREATE_NO_WINDOW, nullptr, nullptr, &si, &pi);
    CloseHandle(inRead);
    CloseHandle(outWrite);
    if (errFile != INVALID_HANDLE_VALUE) CloseHandle(errFile);  // the child holds its own copy
    if (!ok) {
        error = "cannot start " + argv[0] + " (CreateProcess error " + std::to_string(GetLastError()) + ")";
        CloseHandle(inWrite);
        CloseHandle(outRead);
        return nullptr;
    }
    return std::unique_ptr<ChildProcess>(new Win32Child(pi, inWrite, outRead));
}

int64_t CurrentProcessId() { return static_cast<int64_t>(GetCurrentProcessId()); }

bool IsExecutableFile(const std::string& path)
{
    if (path.empty()) return false;
    const DWORD attrs = GetFileAttributesW(Widen(path).c_str());
    return attrs != INVALID_FILE_ATTRIBUTES && !(attrs & FILE_ATTRIBUTE_DIRECTORY);
}

}  // namespace FacePlexCore

#endif  // _WIN32
