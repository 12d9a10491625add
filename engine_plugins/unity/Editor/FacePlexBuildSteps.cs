using System;
using System.Diagnostics;
using System.IO;
using UnityEditor;
using UnityEditor.Build;
using UnityEditor.Build.Reporting;
using Debug = UnityEngine.Debug;

namespace FacePlex.Editor
{
    /// <summary>
    /// Player build steps for FacePlex (issue 20).
    /// <list type="bullet">
    /// <item>Before the build: FacePlex starts its daemon as a separate local process, which only desktop players can
    /// do, so every other target (WebGL, iOS, Android, consoles, 32-bit Windows) fails here with a clear message
    /// instead of a silent face at run time. Windows x64, macOS and Linux x64 builds are checked for the daemon
    /// bundle in <c>Assets/StreamingAssets/FacePlex/&lt;Windows|macOS|Linux&gt;/</c> (Unity copies StreamingAssets
    /// into the player as they are); a missing one is a warning, since a game may connect to a daemon it does not
    /// launch.</item>
    /// <item>After the build (macOS/Linux editors): the bundle's executable gets its execute permission back in the
    /// built player, in case the copy dropped it.</item>
    /// </list>
    /// Signatures from UnityCsReference: Editor/Mono/BuildPipeline/BuildPipelineInterfaces.cs
    /// (IPreprocessBuildWithReport.OnPreprocessBuild(BuildReport), IPostprocessBuildWithReport.OnPostprocessBuild(BuildReport),
    /// IOrderedCallback.callbackOrder), Editor/Mono/BuildPipeline/BuildFailedException.cs,
    /// Editor/Mono/BuildPipeline/BuildTarget.cs, Modules/BuildReportingEditor/Managed/BuildReport.cs and
    /// BuildSummary.cs (summary.platform, summary.outputPath).
    /// </summary>
    public sealed class FacePlexBuildSteps : IPreprocessBuildWithReport, IPostprocessBuildWithReport
    {
        /// <summary>Runs early, so an unsupported target fails before Unity does any work.</summary>
        public int callbackOrder { get { return -100; } }

        /// <summary>The StreamingAssets/FacePlex sub-folder of a supported target, or null for one FacePlex cannot run on.</summary>
        public static string BundlePlatformFolder(BuildTarget target)
        {
            switch (target)
            {
                case BuildTarget.StandaloneWindows64: return "Windows";
                case BuildTarget.StandaloneOSX: return "macOS";
                case BuildTarget.StandaloneLinux64: return "Linux";
                default: return null;
            }
        }

        /// <summary>The one-line reason a target is refused.</summary>
        public static string RefusalMessage(BuildTarget target)
        {
            return "FacePlex cannot run on " + target + ": it starts a local speech daemon process, which only Windows x64, "
                   + "macOS and Linux x64 players can do (WebGL, mobile and consoles cannot). Remove the FacePlex package "
                   + "from this project's build for " + target + ", or connect its characters to a daemon elsewhere in a "
                   + "desktop build.";
        }

        public void OnPreprocessBuild(BuildReport report)
        {
            BuildTarget target = report.summary.platform;
            string folder = BundlePlatformFolder(target);
            if (folder == null) throw new BuildFailedException(RefusalMessage(target));
            string exe = Path.Combine(Path.Combine(Path.Combine("Assets", "StreamingAssets"), "FacePlex"), folder);
            exe = Path.Combine(exe, folder == "Windows" ? "faceplex-daemon.exe" : "faceplex-daemon");
            if (!File.Exists(exe))
                Debug.LogWarning("FacePlex: no daemon bundle at " + exe + ": players without Python will have no voice. "
                                 + "Build it on a " + folder + " machine with `faceplex bundle -o " + Path.GetDirectoryName(exe)
                                 + "` (README, \"Shipping your game\").");
        }

        public void OnPostprocessBuild(BuildReport report)
        {
            if (Path.DirectorySeparatorChar == '\\' || BundlePlatformFolder(report.summary.platform) == null) return;
            string output = report.summary.outputPath;
            string root = Directory.Exists(output) ? output : Path.GetDirectoryName(output);
            if (string.IsNullOrEmpty(root) || !Directory.Exists(root)) return;
            foreach (var file in Directory.GetFiles(root, "faceplex-daemon", SearchOption.AllDirectories))
            {
                if (file.IndexOf("StreamingAssets", StringComparison.Ordinal) < 0) continue;
                using (var chmod = Process.Start(new ProcessStartInfo("chmod", "+x \"" + file + "\"") { UseShellExecute = false }))
                    chmod.WaitForExit();
            }
        }
    }
}
