using System;
using System.Diagnostics;
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
                Connect(first.Url);
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
                Connect(second.Url);
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
            return T.Summary();
        }

        static void Connect(Uri url)
        {
            var c = new FacePlexClient();
            var w = c.ConnectAsync(url).Result;
            T.Check(w.Channels.Length == 59, "welcome");
            c.Close();
        }
    }
}
