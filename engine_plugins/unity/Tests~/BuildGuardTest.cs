using System;
using FacePlex.Editor;
using UnityEditor;
using UnityEditor.Build;
using UnityEditor.Build.Reporting;

namespace FacePlex.Tests
{
    /// <summary>
    /// Editor/FacePlexBuildSteps.cs against the UnityEditor stand-ins (Tests~/UnityEditorStubs.cs): every target but
    /// Windows x64, macOS and Linux x64 fails the build with a BuildFailedException naming it; the desktop ones pass.
    /// </summary>
    public static class BuildGuardTest
    {
        public static int Main(string[] args)
        {
            var steps = new FacePlexBuildSteps();
            T.Run("WebGL, mobile, consoles and 32-bit Windows fail the build with a message naming the target", () =>
            {
                foreach (var target in new[] { BuildTarget.WebGL, BuildTarget.iOS, BuildTarget.Android, BuildTarget.PS4,
                                               BuildTarget.XboxOne, BuildTarget.Switch, BuildTarget.tvOS,
                                               BuildTarget.WSAPlayer, BuildTarget.StandaloneWindows })
                {
                    string message = null;
                    try { steps.OnPreprocessBuild(BuildReport.For(target, "/tmp/out")); }
                    catch (BuildFailedException e) { message = e.Message; }
                    T.Check(message != null && message.Contains(target.ToString()) && message.Contains("FacePlex"), "refused " + target);
                }
            });
            T.Run("Windows x64, macOS and Linux x64 builds pass, each with its bundle folder", () =>
            {
                foreach (var target in new[] { BuildTarget.StandaloneWindows64, BuildTarget.StandaloneOSX, BuildTarget.StandaloneLinux64 })
                    steps.OnPreprocessBuild(BuildReport.For(target, "/tmp/out"));
                T.Eq("Windows", FacePlexBuildSteps.BundlePlatformFolder(BuildTarget.StandaloneWindows64), "Windows folder");
                T.Eq("macOS", FacePlexBuildSteps.BundlePlatformFolder(BuildTarget.StandaloneOSX), "macOS folder");
                T.Eq("Linux", FacePlexBuildSteps.BundlePlatformFolder(BuildTarget.StandaloneLinux64), "Linux folder");
            });
            return T.Summary();
        }
    }
}
