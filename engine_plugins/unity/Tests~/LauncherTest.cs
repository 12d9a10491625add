using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using FacePlex.Core;

namespace FacePlex.Tests
{
    /// <summary>
    /// DaemonLauncher against the real daemon: start, read the ready line, connect; kill the daemon and
    /// check it is restarted (new port) and the client can reconnect; Stop() shuts it down.
    /// Usage: LauncherTest.exe PYTHON
    /// </summary>
    public static class LauncherTest
    {
        public static int Main(string[] args)
        {
            var launcher = new DaemonLauncher
            {
                FileName = args[0],
                Arguments = "-m faceplex.bridge.cli serve --port 0 --exit-on-stdin-eof",
                InitialBackoffMs = 200,
            };
            int readyEvents = 0, exitedEvents = 0;
            launcher.Ready += r => Interlocked.Increment(ref readyEvents);
            launcher.Exited += c => Interlocked.Increment(ref exitedEvents);
            launcher.Start();
            DaemonReady first = null, second = null;
            T.Run("launcher starts the daemon and reads its ready line", () =>
            {
                first = launcher.WaitReady(60000);
                T.Check(first != null, "ready line");
                T.Check(first.Port > 0 && first.Pid > 0, "port and pid");
                Connect(first);
            });
            if (first == null) { launcher.Stop(); return T.Summary(); }
            T.Run("a dead daemon is restarted and the client reconnects", () =>
            {
                Process.GetProcessById(first.Pid).Kill();
                var sw = Stopwatch.StartNew();
                while (sw.ElapsedMilliseconds < 60000)
                {
                    var r = launcher.Current;
                    if (r != null && r.Generation == 2) { second = r; break; }
                    Thread.Sleep(20);
                }
                T.Check(second != null, "restarted");
                T.Check(second.Pid != first.Pid, "new process");
                T.Eq(1, exitedEvents, "exit reported");
                T.Eq(2, readyEvents, "two ready events");
                Connect(second);
            });
            T.Run("Stop() shuts the daemon down", () =>
            {
                int pid = second != null ? second.Pid : first.Pid;
                launcher.Stop();
                bool gone;
                try { gone = Process.GetProcessById(pid).WaitForExit(5000); }
                catch (ArgumentException) { gone = true; }
                T.Check(gone, "daemon process exited");
                Thread.Sleep(1000);
                T.Eq(2, launcher.Starts, "no restart after Stop()");
            });
            ChattyDaemon(args[0]);
            Configurations();
            Adoption(args[0]);
            return T.Summary();
        }

        /// <summary>
        /// The editor after a domain reload: a launcher adopts the daemon an earlier launcher started (no stdin of
        /// its own), reports it ready at once, starts a new one when it exits, and Stop() ends the adopted one.
        /// IsRunning also sees processes that are not our children (an adopted daemon is not, after a reload).
        /// </summary>
        static void Adoption(string python)
        {
            T.Run("IsRunning sees a process that is not our child", () =>
            {
                var sh = Process.Start(new ProcessStartInfo("/bin/sh", "-c \"sleep 60 >/dev/null 2>&1 & echo $!\"")
                {
                    UseShellExecute = false, RedirectStandardOutput = true,
                });
                int pid = int.Parse(sh.StandardOutput.ReadLine().Trim());
                sh.WaitForExit();
                T.Check(DaemonLauncher.IsRunning(pid), "grandchild running");
                Process.Start("kill", "-9 " + pid).WaitForExit();
                var sw = Stopwatch.StartNew();
                while (DaemonLauncher.IsRunning(pid) && sw.ElapsedMilliseconds < 30000) Thread.Sleep(20);
                T.Check(!DaemonLauncher.IsRunning(pid), "gone after kill");
            });
            T.Run("a launcher adopts a running daemon, replaces it when it exits, and stops it", () =>
            {
                var first = new DaemonLauncher
                {
                    FileName = python, Arguments = "-m faceplex.bridge.cli serve --port 0", ExitOnStdinEof = false,
                    ParentPid = Process.GetCurrentProcess().Id,
                };
                first.Start();
                var ready = first.WaitReady(120000);
                T.Check(ready != null, "first daemon ready");
                var adopter = new DaemonLauncher { FileName = python, Arguments = first.Arguments, ExitOnStdinEof = false, InitialBackoffMs = 100 };
                adopter.Adopt(ready);
                T.Check(ReferenceEquals(ready, adopter.Current), "adopted ready line at once");
                Connect(adopter.Current);
                Process.GetProcessById(ready.Pid).Kill();
                DaemonReady next = null;
                var sw = Stopwatch.StartNew();
                while (sw.ElapsedMilliseconds < 120000)
                {
                    var r = adopter.Current;
                    if (r != null && r.Pid != ready.Pid) { next = r; break; }
                    Thread.Sleep(20);
                }
                T.Check(next != null, "a new daemon after the adopted one exited");
                T.Eq(1, adopter.Starts, "one start of its own");
                Connect(next);
                adopter.Stop();
                T.Check(!DaemonLauncher.IsRunning(next.Pid), "stopped");
                first.Stop();
            });
        }

        /// <summary>
        /// Core-level launcher rules the Unity glue relies on (issue 20): one launcher per daemon configuration,
        /// the bundle found in the first folder holding it, and the command line with --parent-pid and without
        /// --exit-on-stdin-eof for the editor's long-lived daemon.
        /// </summary>
        static void Configurations()
        {
            T.Run("one launcher per daemon configuration", () =>
            {
                bool c1, c2, c3;
                var a = DaemonLaunchers.Get("/b/faceplex-daemon", "serve --port 0", null, out c1);
                var b = DaemonLaunchers.Get("/b/faceplex-daemon", " serve --port 0 ", null, out c2);
                var c = DaemonLaunchers.Get("/b/faceplex-daemon", "serve --port 0 --motion rfm", null, out c3);
                T.Check(ReferenceEquals(a, b) && c1 && !c2, "the same configuration shares one launcher");
                T.Check(!ReferenceEquals(a, c) && c3, "another configuration gets its own");
                T.Eq(2, DaemonLaunchers.Count, "two launchers");
                DaemonLaunchers.StopAll();
                T.Eq(0, DaemonLaunchers.Count, "StopAll forgets them");
            });
            T.Run("the bundle is found in the first folder holding it", () =>
            {
                string root = Path.Combine(Path.GetTempPath(), "faceplex-find-" + Process.GetCurrentProcess().Id);
                string empty = Path.Combine(root, "empty"), linux = Path.Combine(root, "StreamingAssets", "FacePlex", "Linux");
                Directory.CreateDirectory(empty);
                Directory.CreateDirectory(linux);
                File.WriteAllText(Path.Combine(linux, DaemonLaunchers.BundledFileName), "#!/bin/sh\n");
                try
                {
                    T.Eq(Path.Combine(linux, "faceplex-daemon"), DaemonLaunchers.FindBundled(null, empty, linux), "found");
                    T.Eq(null, DaemonLaunchers.FindBundled(empty), "absent");
                }
                finally { Directory.Delete(root, true); }
            });
            T.Run("the command line carries --parent-pid; the editor's daemon has no --exit-on-stdin-eof", () =>
            {
                var l = new DaemonLauncher { Arguments = "serve --port 0 --exit-on-stdin-eof --motion rfm", ParentPid = 4242 };
                T.Eq("serve --port 0 --motion rfm --exit-on-stdin-eof --parent-pid 4242", l.EffectiveArguments, "game");
                l.ExitOnStdinEof = false;
                T.Eq("serve --port 0 --motion rfm --parent-pid 4242", l.EffectiveArguments, "editor");
                T.Check(DaemonLauncher.IsRunning(Process.GetCurrentProcess().Id) && !DaemonLauncher.IsRunning(0), "pid check");
            });
        }

        /// <summary>
        /// A process that behaves like the daemon on its pipes (a real python process, not the daemon: the
        /// daemon itself writes nothing after its ready line): a ready line with a token, then 2 MiB on
        /// stdout (an undrained pipe blocks it after 64 KiB), then a marker file; it exits on stdin EOF.
        /// </summary>
        static void ChattyDaemon(string python)
        {
            string dir = Path.Combine(Path.GetTempPath(), "faceplex-launcher-" + Process.GetCurrentProcess().Id);
            Directory.CreateDirectory(dir);
            string script = Path.Combine(dir, "chatty.py"), marker = Path.Combine(dir, "drained");
            File.WriteAllText(script, string.Join("\n", new[]
            {
                "import json, os, sys",
                "print(json.dumps({'event': 'ready', 'port': 9, 'pid': os.getpid(), 'url': 'ws://127.0.0.1:9/', 'token': 'sEcReT-tok3n'}), flush=True)",
                "print('stderr line', file=sys.stderr, flush=True)",
                "sys.stdout.write(('x' * 1023 + '\\n') * 2048); sys.stdout.flush()",
                "open(sys.argv[1], 'w').write('done')",
                "sys.stdin.read()",
            }) + "\n");
            var launcher = new DaemonLauncher { FileName = python, Arguments = "\"" + script + "\" \"" + marker + "\"" };
            var logged = new System.Collections.Generic.List<string>();
            launcher.Log += l => { lock (logged) logged.Add(l); };
            launcher.Start();
            T.Run("launcher reads the token from the ready line and never logs it", () =>
            {
                var r = launcher.WaitReady(60000);
                T.Check(r != null, "ready");
                T.Eq("sEcReT-tok3n", r.Token, "token");
                T.Check(!r.ToString().Contains("sEcReT"), "ToString leaves the token out");
            });
            T.Run("launcher drains the daemon's stdout after the ready line", () =>
            {
                var sw = Stopwatch.StartNew();
                while (!File.Exists(marker) && sw.ElapsedMilliseconds < 120000) Thread.Sleep(20);
                T.Check(File.Exists(marker), "2 MiB written after the ready line (the pipe was drained)");
                T.Check(launcher.Process != null && !launcher.Process.HasExited, "still running");
            });
            launcher.Stop();
            lock (logged)
            {
                T.Run("launcher logs stderr, never stdout or the token", () =>
                {
                    T.Check(logged.Contains("stderr line"), "stderr logged: " + string.Join(" | ", logged));
                    T.Check(!logged.Any(l => l.Contains("sEcReT") || l.StartsWith("xxxx", StringComparison.Ordinal)), "no token, no stdout");
                });
            }
            try { Directory.Delete(dir, true); } catch (Exception) { }
        }

        static void Connect(DaemonReady ready)
        {
            var c = new FacePlexClient();
            var w = c.ConnectAsync(ready.Url, token: ready.Token).Result;
            T.Check(w.Channels.Length == 59, "welcome");
            c.Close();
        }
    }
}
