// Compile-only stand-ins for the UnityEngine members FacePlexDaemonHost uses (issue 20), copied from
// UnityCsReference: Runtime/Export/Application/Application.cs (streamingAssetsPath, dataPath, isEditor,
// platform: static properties) and Runtime/Export/RuntimePlatform.cs (values abridged to the desktop ones
// and the platforms the build guard refuses).
namespace UnityEngine
{
    public partial class Application
    {
        public static string streamingAssetsPath { get { return ""; } }
        public static string dataPath { get { return ""; } }
        public static bool isEditor { get { return false; } }
        public static RuntimePlatform platform { get { return RuntimePlatform.LinuxPlayer; } }
    }

    public enum RuntimePlatform
    {
        OSXEditor = 0, OSXPlayer = 1, WindowsPlayer = 2, WindowsEditor = 7, IPhonePlayer = 8, Android = 11,
        LinuxPlayer = 13, LinuxEditor = 16, WebGLPlayer = 17,
    }
}
