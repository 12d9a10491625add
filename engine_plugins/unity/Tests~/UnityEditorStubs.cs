// Compile-only stand-ins for the UnityEditor build API that Editor/FacePlexBuildSteps.cs uses, copied from
// UnityCsReference: Editor/Mono/BuildPipeline/BuildPipelineInterfaces.cs (IOrderedCallback,
// IPreprocessBuildWithReport, IPostprocessBuildWithReport), Editor/Mono/BuildPipeline/BuildFailedException.cs,
// Editor/Mono/BuildPipeline/BuildTarget.cs (values abridged), Modules/BuildReportingEditor/Managed/BuildReport.cs
// (summary) and BuildSummary.cs (platform, outputPath); Editor/Mono/SessionState.cs (GetString, SetString) and
// Editor/Mono/EditorApplication.cs (quitting) for FacePlexDaemonHost's editor-only part (compiled with UNITY_EDITOR).
using System;

namespace UnityEditor
{
    public static class SessionState
    {
        public static string GetString(string key, string defaultValue) { return defaultValue; }
        public static void SetString(string key, string value) { }
    }

    public sealed partial class EditorApplication
    {
        public static event Action quitting;
        static void Touch() { quitting(); }
    }

    public enum BuildTarget
    {
        StandaloneOSX = 2, StandaloneWindows = 5, iOS = 9, Android = 13, StandaloneWindows64 = 19, WebGL = 20,
        WSAPlayer = 21, StandaloneLinux64 = 24, PS4 = 31, XboxOne = 33, tvOS = 37, Switch = 38,
    }
}

namespace UnityEditor.Build
{
    public interface IOrderedCallback { int callbackOrder { get; } }
    public interface IPreprocessBuildWithReport : IOrderedCallback { void OnPreprocessBuild(Reporting.BuildReport report); }
    public interface IPostprocessBuildWithReport : IOrderedCallback { void OnPostprocessBuild(Reporting.BuildReport report); }
    public class BuildFailedException : Exception
    {
        public BuildFailedException(string message) : base(message) { }
        public BuildFailedException(Exception innerException) : base(null, innerException) { }
    }
}

namespace UnityEditor.Build.Reporting
{
    public struct BuildSummary
    {
        public BuildTarget platform { get { return _platform; } }
        public string outputPath { get { return _outputPath; } }
        internal BuildTarget _platform;
        internal string _outputPath;
    }

    public sealed class BuildReport
    {
        public BuildSummary summary { get { return _summary; } }
        internal BuildSummary _summary;
        /// <summary>Test-only: a report for a target.</summary>
        public static BuildReport For(BuildTarget target, string outputPath)
        {
            return new BuildReport { _summary = new BuildSummary { _platform = target, _outputPath = outputPath } };
        }
    }
}
