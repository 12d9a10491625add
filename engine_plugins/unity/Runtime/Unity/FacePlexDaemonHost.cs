using System;
using System.IO;
using FacePlex.Core;
using UnityEngine;
#if UNITY_EDITOR
using UnityEditor;   // EditorApplication; SessionState is written in full (FacePlex.Core has its own)
#endif

namespace FacePlex.Unity
{
    /// <summary>
    /// The daemons this game (or editor session) runs: one <see cref="DaemonLauncher"/> per daemon configuration
    /// (<see cref="DaemonLaunchers"/>), the executable resolved from the bundle in
    /// <c>StreamingAssets/FacePlex/&lt;Windows|macOS|Linux&gt;/</c> (<see cref="Application.streamingAssetsPath"/>), and
    /// their lifetime:
    /// <list type="bullet">
    /// <item>A player: the daemon exits with the game (stdin EOF, and <c>--parent-pid</c> if the game crashes);
    /// <see cref="Application.quitting"/> stops it.</item>
    /// <item>The editor: one daemon serves every Play mode entry (no warm-up per Play). It is launched without
    /// <c>--exit-on-stdin-eof</c> (a domain reload loses the <see cref="System.Diagnostics.Process"/> and its stdin
    /// pipe) and with the editor's pid as <c>--parent-pid</c>, so it dies with the editor, crash included; its ready
    /// line is kept in <c>SessionState</c> (editor memory, survives domain reloads, gone when the editor quits) so a
    /// reloaded domain adopts it instead of starting another; <c>EditorApplication.quitting</c> stops it.
    /// (In the editor <see cref="Application.quitting"/> also fires when Play mode ends, so it is not used there.)</item>
    /// </list>
    /// UnityCsReference: Runtime/Export/Application/Application.cs (streamingAssetsPath, platform, isEditor, quitting),
    /// Runtime/Export/RuntimePlatform.cs, Editor/Mono/SessionState.cs, Editor/Mono/EditorApplication.cs (quitting).
    /// </summary>
    public static class FacePlexDaemonHost
    {
        private static bool _hooked;

        /// <summary>The bundle's folder name for the running platform: Windows, macOS or Linux (null elsewhere:
        /// the build guard refuses other platforms).</summary>
        public static string PlatformFolder
        {
            get
            {
                switch (Application.platform)
                {
                    case RuntimePlatform.WindowsPlayer:
                    case RuntimePlatform.WindowsEditor: return "Windows";
                    case RuntimePlatform.OSXPlayer:
                    case RuntimePlatform.OSXEditor: return "macOS";
                    case RuntimePlatform.LinuxPlayer:
                    case RuntimePlatform.LinuxEditor: return "Linux";
                    default: return null;
                }
            }
        }

        /// <summary><c>Application.streamingAssetsPath/FacePlex/&lt;platform&gt;</c>, where the bundle lives.</summary>
        public static string BundleFolder
        {
            get { return PlatformFolder == null ? null : Path.Combine(Path.Combine(Application.streamingAssetsPath, "FacePlex"), PlatformFolder); }
        }

        /// <summary>The executable to run for <paramref name="configured"/> (the character's Daemon Executable):
        /// empty = the bundle in <see cref="BundleFolder"/>, else <c>faceplex</c> on PATH; a bare name is looked up in
        /// PATH; a relative path is anchored at the project folder (editor) or the player's data folder.</summary>
        public static string ResolveExecutable(string configured)
        {
            if (string.IsNullOrEmpty(configured) || configured.Trim().Length == 0)
            {
                var found = DaemonLaunchers.FindBundled(BundleFolder);
                if (found != null) return found;
                Debug.Log("[FacePlex] no daemon bundle in " + BundleFolder + "; using `faceplex` from PATH");
                return "faceplex";
            }
            configured = configured.Trim();
            bool hasFolder = configured.IndexOf('/') >= 0 || configured.IndexOf('\\') >= 0;
            if (!hasFolder || Path.IsPathRooted(configured)) return configured;
            // Application.dataPath: <project>/Assets in the editor, <game>_Data in a player.
            return Path.GetFullPath(Path.Combine(Path.Combine(Application.dataPath, ".."), configured));
        }

        /// <summary>The running (or starting) launcher for this configuration; the same object for every
        /// character that asks with the same executable and arguments.</summary>
        public static DaemonLauncher Get(string executable, string arguments)
        {
            Hook();
            string file = ResolveExecutable(executable);
            bool created;
            var launcher = DaemonLaunchers.Get(file, arguments, () => new DaemonLauncher
            {
                ParentPid = System.Diagnostics.Process.GetCurrentProcess().Id,
                ExitOnStdinEof = !Application.isEditor,
            }, out created);
            if (!created) return launcher;
            launcher.Log += line => Debug.Log("[FacePlex daemon] " + line);   // stderr only: the token is on stdout
#if UNITY_EDITOR
            string key = "FacePlex.Daemon." + DaemonLaunchers.Key(file, arguments).GetHashCode().ToString("x8");
            launcher.Ready += r => UnityEditor.SessionState.SetString(key, r.Pid + " " + r.Port + " " + r.Url + " " + (r.Token ?? ""));
            var saved = UnityEditor.SessionState.GetString(key, "").Split(' ');
            int pid, port;
            if (saved.Length == 4 && int.TryParse(saved[0], out pid) && int.TryParse(saved[1], out port) && DaemonLauncher.IsRunning(pid))
            {
                launcher.Adopt(new DaemonReady { Pid = pid, Port = port, Url = new Uri(saved[2]), Token = saved[3].Length > 0 ? saved[3] : null, Generation = 1 });
                return launcher;
            }
#endif
            launcher.Start();
            return launcher;
        }

        private static void Hook()
        {
            if (_hooked) return;
            _hooked = true;
#if UNITY_EDITOR
            EditorApplication.quitting += DaemonLaunchers.StopAll;
#else
            Application.quitting += DaemonLaunchers.StopAll;
#endif
        }
    }
}
