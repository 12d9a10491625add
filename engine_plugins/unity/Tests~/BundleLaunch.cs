using System;
using System.Diagnostics;
using FacePlex.Core;

namespace FacePlex.Tests
{
    /// <summary>
    /// Launches the daemon bundle the way the Unity glue does, with the core's own launcher: the executable
    /// <see cref="DaemonLaunchers.FindBundled"/> finds in FOLDER, the shared launcher for that configuration, our
    /// pid as --parent-pid. Prints "READY url token pid" once the daemon is ready, keeps it supervised until
    /// stdin closes, then stops it and prints "STOPPED ms". tests/test_bundle.py runs the live tests against it.
    /// Usage: BundleLaunch.exe FOLDER
    /// </summary>
    public static class BundleLaunch
    {
        public static int Main(string[] args)
        {
            string exe = DaemonLaunchers.FindBundled(args[0]);
            if (exe == null) { Console.WriteLine("FAIL no " + DaemonLaunchers.BundledFileName + " in " + args[0]); return 1; }
            bool created;
            var launcher = DaemonLaunchers.Get(exe, "serve --port 0", () => new DaemonLauncher
            {
                ParentPid = Process.GetCurrentProcess().Id,
                ReadyTimeoutMs = 600000,   // a hang guard: a first start on a loaded machine reads a cold disk
            }, out created);
            launcher.Log += line => Console.Error.WriteLine("[daemon] " + line);
            launcher.Start();
            var ready = launcher.WaitReady(600000);
            if (ready == null) { Console.WriteLine("FAIL no ready line"); DaemonLaunchers.StopAll(); return 1; }
            Console.WriteLine("READY " + ready.Url + " " + ready.Token + " " + ready.Pid);
            Console.Out.Flush();
            Console.In.ReadToEnd();
            var sw = Stopwatch.StartNew();
            DaemonLaunchers.StopAll();
            Console.WriteLine("STOPPED " + sw.ElapsedMilliseconds);
            return 0;
        }
    }
}
