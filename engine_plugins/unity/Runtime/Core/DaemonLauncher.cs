using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace FacePlex.Core
{
    /// <summary>The daemon's JSON ready line: where to connect.</summary>
    public sealed class DaemonReady
    {
        /// <summary>TCP port on loopback.</summary>
        public int Port;
        /// <summary>Daemon process id.</summary>
        public int Pid;
        /// <summary>WebSocket URL, e.g. ws://127.0.0.1:50231/.</summary>
        public Uri Url;
        /// <summary>How many times the daemon had been (re)started when this line came (1 = first start).</summary>
        public int Generation;
        /// <summary>The daemon's per-launch secret (PROTOCOL.md §12) for <c>hello.token</c>, or null if it printed
        /// none. A secret: never log it (<see cref="ToString"/> leaves it out).</summary>
        public string Token;
        /// <summary>The daemon's protocol version (the ready line's <c>protocol</c>; 0 if it names none: then only the
        /// welcome is checked).</summary>
        public long Protocol;

        /// <summary>Parses the first stdout line of <c>faceplex serve</c>.</summary>
        public static DaemonReady Parse(string line, int generation)
        {
            var o = Json.Parse(line) as Dictionary<string, object>;
            if (o == null || !o.ContainsKey("port")) throw new FormatException("not a FacePlex ready line: " + line);
            var r = new DaemonReady { Port = (int)(long)o["port"], Generation = generation };
            object pid;
            if (o.TryGetValue("pid", out pid) && pid is long) r.Pid = (int)(long)pid;
            object url;
            r.Url = o.TryGetValue("url", out url) && url is string ? new Uri((string)url) : new Uri("ws://127.0.0.1:" + r.Port + "/");
            object token;
            if (o.TryGetValue("token", out token)) r.Token = token as string;
            object protocol;
            if (o.TryGetValue("protocol", out protocol) && protocol is long) r.Protocol = (long)protocol;
            return r;
        }

        /// <summary>Port, pid and URL for logs; never the token.</summary>
        public override string ToString() { return "FacePlex daemon pid " + Pid + " at " + Url + (Token != null ? " (token set)" : ""); }
    }

    /// <summary>
    /// Starts <c>faceplex serve --port 0 --exit-on-stdin-eof</c>, reads its JSON ready line, restarts it with
    /// exponential back-off if it dies, and shuts it down on <see cref="Stop"/> (stdin closed, then killed
    /// after <see cref="ShutdownGraceMs"/>). Because the daemon exits when its stdin closes, it also goes
    /// away if the game crashes. Supervision runs on a background thread; events come from that thread.
    /// </summary>
    public sealed class DaemonLauncher : IDisposable
    {
        private readonly object _lock = new object();
        private readonly ManualResetEvent _stopEvent = new ManualResetEvent(false);
        private Thread _thread;
        private Process _proc;
        private DaemonReady _ready;
        private volatile bool _stopping;

        /// <summary>Executable: "faceplex" on PATH, or a python interpreter (see <see cref="Arguments"/>).</summary>
        public string FileName = "faceplex";
        /// <summary>Arguments, e.g. "-m faceplex.bridge.cli serve --port 0 --exit-on-stdin-eof" with a python FileName.</summary>
        public string Arguments = "serve --port 0 --exit-on-stdin-eof";
        /// <summary>When above 0, <c>--parent-pid ParentPid</c> is added: the daemon also exits when that
        /// process is gone (an editor that keeps one daemon across Play sessions, or that crashed).</summary>
        public int ParentPid;
        /// <summary>Add <c>--exit-on-stdin-eof</c> when <see cref="Arguments"/> lacks it (default true). The editor
        /// turns it off: a domain reload loses the <see cref="System.Diagnostics.Process"/> object and its stdin
        /// pipe, which would stop a daemon meant to outlive the Play session (<see cref="ParentPid"/> ties it to
        /// the editor instead).</summary>
        public bool ExitOnStdinEof = true;
        /// <summary>Working directory, or null.</summary>
        public string WorkingDirectory;
        /// <summary>Extra environment variables for the daemon.</summary>
        public readonly Dictionary<string, string> Environment = new Dictionary<string, string>();
        /// <summary>First restart delay, milliseconds; doubles per quick failure up to <see cref="MaxBackoffMs"/>.</summary>
        public int InitialBackoffMs = 500;
        /// <summary>Largest restart delay, milliseconds.</summary>
        public int MaxBackoffMs = 30000;
        /// <summary>A daemon that ran this long resets the back-off, milliseconds.</summary>
        public int StableAfterMs = 30000;
        /// <summary>How long to wait for the ready line, milliseconds.</summary>
        public int ReadyTimeoutMs = 60000;
        /// <summary>On <see cref="Stop"/>, how long to wait after closing stdin before killing, milliseconds.</summary>
        public int ShutdownGraceMs = 3000;

        /// <summary>Raised (supervisor thread) each time a daemon is ready: connect to its URL.</summary>
        public event Action<DaemonReady> Ready;
        /// <summary>Raised (supervisor thread) when the daemon exits unexpectedly, with its exit code.</summary>
        public event Action<int> Exited;
        /// <summary>Daemon stderr lines and launcher notes.</summary>
        public event Action<string> Log;
        /// <summary>Raised (supervisor thread) when the daemon's ready line names another protocol version: the
        /// launcher logs the error (<see cref="Log"/>), stops that daemon and does not restart it (PROTOCOL.md §9).</summary>
        public event Action<IncompatibleDaemon> IncompatibleDaemon;

        /// <summary>Set once a daemon of another protocol version was refused (supervision has stopped).</summary>
        public IncompatibleDaemon Incompatible { get; private set; }

        /// <summary>Number of daemon starts so far.</summary>
        public int Starts { get; private set; }

        /// <summary>The latest ready line (null before the first, or while restarting).</summary>
        public DaemonReady Current { get { lock (_lock) return _ready; } }

        /// <summary>The running daemon process, or null.</summary>
        public Process Process { get { lock (_lock) return _proc; } }

        /// <summary>The command line actually passed: <see cref="Arguments"/> with <c>--exit-on-stdin-eof</c>
        /// removed or added per <see cref="ExitOnStdinEof"/>, then <c>--parent-pid</c>.</summary>
        public string EffectiveArguments
        {
            get
            {
                var args = (Arguments ?? "").Replace("--exit-on-stdin-eof", " ").Trim();
                while (args.Contains("  ")) args = args.Replace("  ", " ");
                if (ExitOnStdinEof) args += " --exit-on-stdin-eof";
                if (ParentPid > 0) args += " --parent-pid " + ParentPid;
                return args.Trim();
            }
        }

        /// <summary>Supervise a daemon this launcher did not start (one launched before a domain reload, found
        /// again through its saved ready line): <see cref="Current"/> is <paramref name="ready"/> at once, and
        /// when that process exits a new one is launched as usual. Call instead of <see cref="Start"/>.</summary>
        public void Adopt(DaemonReady ready)
        {
            if (ready == null) throw new ArgumentNullException("ready");
            lock (_lock) _ready = ready;
            _adopted = ready;
            Start();
        }

        private DaemonReady _adopted;

        /// <summary>True while a process with id <paramref name="pid"/> runs (any process, not only our children).</summary>
        public static bool IsRunning(int pid)
        {
            if (pid <= 0) return false;
            try { using (var p = Process.GetProcessById(pid)) return !p.HasExited; }
            catch (ArgumentException) { return false; }
            catch (InvalidOperationException) { return false; }
        }

        /// <summary>Starts supervising (returns at once).</summary>
        public void Start()
        {
            if (_thread != null) throw new InvalidOperationException("already started");
            _stopping = false;
            _thread = new Thread(Supervise) { IsBackground = true, Name = "FacePlex daemon launcher" };
            _thread.Start();
        }

        /// <summary>Waits until a daemon is ready; returns it, or null on timeout.</summary>
        public DaemonReady WaitReady(int timeoutMs)
        {
            var sw = Stopwatch.StartNew();
            while (sw.ElapsedMilliseconds < timeoutMs)
            {
                var r = Current;
                if (r != null) return r;
                if (_stopEvent.WaitOne(20)) return null;
            }
            return null;
        }

        private void Note(string s) { var h = Log; if (h != null) h(s); }

        private void Supervise()
        {
            int backoff = InitialBackoffMs;
            var adopted = _adopted;
            _adopted = null;
            if (adopted != null)
            {
                // Not our child: no handle to wait on, so look every half second.
                while (!_stopping && IsRunning(adopted.Pid)) if (_stopEvent.WaitOne(500)) break;
                lock (_lock) _ready = null;
                if (!_stopping) { Note("FacePlex: the adopted daemon (pid " + adopted.Pid + ") exited; starting a new one"); }
            }
            while (!_stopping)
            {
                var started = Stopwatch.StartNew();
                Process p = null;
                try { p = Launch(); }
                catch (Exception e) { Note("FacePlex: could not start the daemon: " + e.Message); }
                if (p != null)
                {
                    p.WaitForExit();
                    int code = p.ExitCode;
                    lock (_lock) { _proc = null; _ready = null; }
                    p.Dispose();
                    if (_stopping) break;
                    Note("FacePlex: daemon exited with code " + code + "; restarting in " + backoff + " ms");
                    var h = Exited;
                    if (h != null) h(code);
                }
                if (started.ElapsedMilliseconds > StableAfterMs) backoff = InitialBackoffMs;
                if (_stopEvent.WaitOne(backoff)) break;
                backoff = Math.Min(MaxBackoffMs, backoff * 2);
            }
        }

        private Process Launch()
        {
            var psi = new ProcessStartInfo(FileName, EffectiveArguments)
            {
                UseShellExecute = false, CreateNoWindow = true,
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            if (WorkingDirectory != null) psi.WorkingDirectory = WorkingDirectory;
            foreach (var kv in Environment) psi.EnvironmentVariables[kv.Key] = kv.Value;
            var p = new Process { StartInfo = psi };
            // stdout is read only asynchronously: its first line is the ready line, every later line is
            // drained and dropped (so the daemon never blocks on a full pipe). Mixing a synchronous
            // StandardOutput.ReadLine with BeginOutputReadLine throws InvalidOperationException (Mono and
            // .NET), which left stdout undrained. The ready line holds the token: it is never logged.
            var first = new FirstLine();
            p.OutputDataReceived += (s, e) => first.Offer(e.Data);
            p.ErrorDataReceived += (s, e) => { if (e.Data != null) Note(e.Data); };
            p.Start();
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            lock (_lock) { _proc = p; }
            Starts++;

            WaitHandle.WaitAny(new WaitHandle[] { first.Arrived, _stopEvent }, ReadyTimeoutMs);
            string line = first.Line;
            if (line == null)
            {
                if (!_stopping) Note("FacePlex: no ready line from the daemon; killing it");
                Kill(p);
                return p;
            }
            DaemonReady ready;
            try { ready = DaemonReady.Parse(line, Starts); }
            catch (Exception)
            {
                Note("FacePlex: the daemon's first stdout line is not a ready line; killing it");
                Kill(p);
                return p;
            }
            // A ready line without "protocol" (every FacePlex daemon prints it; a stand-in may not) is left to the welcome's check.
            var bad = ready.Protocol == 0 ? null : ProtocolCheck.Check(ready.Protocol, "ready line");
            if (bad != null)
            {
                // Same executable, same version after a restart: stop supervising instead of looping, and end
                // WaitReady at once (no hang).
                Incompatible = bad;
                Note(bad.Message);
                _stopping = true;
                _stopEvent.Set();
                Kill(p);
                var ih = IncompatibleDaemon;
                if (ih != null) ih(bad);
                return p;
            }
            lock (_lock) { _ready = ready; }
            var h = Ready;
            if (h != null) h(ready);
            return p;
        }

        /// <summary>Keeps the first stdout line; signals it (or the end of stdout).</summary>
        private sealed class FirstLine
        {
            public readonly ManualResetEvent Arrived = new ManualResetEvent(false);
            private string _line;
            private int _seen;
            public string Line { get { return Volatile.Read(ref _line); } }
            public void Offer(string data)
            {
                if (data == null) { Arrived.Set(); return; }          // stdout closed
                if (Interlocked.Exchange(ref _seen, 1) != 0) return;  // later lines: drained, dropped
                Volatile.Write(ref _line, data);
                Arrived.Set();
            }
        }

        private static void KillPid(int pid)
        {
            try { using (var p = Process.GetProcessById(pid)) p.Kill(); } catch (Exception) { }
        }

        private static void Kill(Process p)
        {
            try { if (!p.HasExited) p.Kill(); } catch (Exception) { }
        }

        /// <summary>Stops supervising and shuts the daemon down: closes its stdin, then kills it after the grace time.</summary>
        public void Stop()
        {
            _stopping = true;
            _stopEvent.Set();
            Process p;
            DaemonReady adoptedReady;
            lock (_lock) { p = _proc; adoptedReady = p == null ? _ready : null; }
            if (adoptedReady != null) KillPid(adoptedReady.Pid);  // adopted: no stdin of ours to close
            if (p != null)
            {
                try { p.StandardInput.Close(); } catch (Exception) { }
                bool exited = false;
                try { exited = p.WaitForExit(ShutdownGraceMs); } catch (Exception) { }
                if (!exited) Kill(p);
            }
            if (_thread != null) _thread.Join(ShutdownGraceMs + 2000);
            _thread = null;
        }

        /// <summary>Same as <see cref="Stop"/>.</summary>
        public void Dispose() { Stop(); }
    }
}
