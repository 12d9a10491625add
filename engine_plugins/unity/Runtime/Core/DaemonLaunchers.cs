using System;
using System.Collections.Generic;
using System.IO;

namespace FacePlex.Core
{
    /// <summary>
    /// One <see cref="DaemonLauncher"/> per daemon configuration (executable + arguments), shared by every
    /// character that asks for the same one: two characters with different settings get two daemons, and the
    /// same settings never start a second one (the old glue used the first character's settings for all).
    /// Also finds the self-contained daemon bundle (<c>faceplex bundle -o DIR</c>) in a folder.
    /// </summary>
    public static class DaemonLaunchers
    {
        private static readonly object Lock = new object();
        private static readonly Dictionary<string, DaemonLauncher> ByConfiguration = new Dictionary<string, DaemonLauncher>();

        /// <summary>The bundle's executable name on this OS: <c>faceplex-daemon.exe</c> on Windows, else
        /// <c>faceplex-daemon</c>.</summary>
        public static string BundledFileName
        {
            get { return Path.DirectorySeparatorChar == '\\' ? "faceplex-daemon.exe" : "faceplex-daemon"; }
        }

        /// <summary>The bundle's executable in the first of <paramref name="folders"/> holding one (full path), or
        /// null. Unity passes <c>Application.streamingAssetsPath/FacePlex/&lt;platform&gt;</c>.</summary>
        public static string FindBundled(params string[] folders)
        {
            foreach (var folder in folders)
            {
                if (string.IsNullOrEmpty(folder)) continue;
                var path = Path.Combine(folder, BundledFileName);
                if (File.Exists(path)) return Path.GetFullPath(path);
            }
            return null;
        }

        /// <summary>The key two configurations share exactly when they launch the same daemon.</summary>
        public static string Key(string fileName, string arguments)
        {
            return (fileName ?? "") + "\u0000" + (arguments ?? "").Trim();
        }

        /// <summary>The launcher for this configuration: the existing one, or a new one made by
        /// <paramref name="create"/> (called under the lock, not started: the caller configures and starts it,
        /// see <paramref name="created"/>).</summary>
        public static DaemonLauncher Get(string fileName, string arguments, Func<DaemonLauncher> create, out bool created)
        {
            lock (Lock)
            {
                DaemonLauncher l;
                created = false;
                if (ByConfiguration.TryGetValue(Key(fileName, arguments), out l)) return l;
                l = create != null ? create() : new DaemonLauncher();
                l.FileName = fileName;
                l.Arguments = arguments;
                ByConfiguration[Key(fileName, arguments)] = l;
                created = true;
                return l;
            }
        }

        /// <summary>Launchers alive now.</summary>
        public static int Count { get { lock (Lock) return ByConfiguration.Count; } }

        /// <summary>Stops every daemon and forgets the launchers (game or editor quitting).</summary>
        public static void StopAll()
        {
            List<DaemonLauncher> all;
            lock (Lock) { all = new List<DaemonLauncher>(ByConfiguration.Values); ByConfiguration.Clear(); }
            foreach (var l in all) l.Stop();
        }
    }
}
