// Compile-only stand-ins for the few UnityEngine APIs the glue uses, so CI can type-check
// Runtime/Unity and Samples~ with mcs. Not Unity: nothing here runs.
using System;
namespace UnityEngine
{
    public class Object { public static bool operator ==(Object a, Object b) { return ReferenceEquals(a, b); } public static bool operator !=(Object a, Object b) { return !(a == b); } public override bool Equals(object o) { return base.Equals(o); } public override int GetHashCode() { return 0; } }
    public class Component : Object { public T GetComponent<T>() { return default(T); } public Transform transform; }
    public class Behaviour : Component { public bool enabled; }
    public class MonoBehaviour : Behaviour { }
    public class ScriptableObject : Object { }
    public class Transform : Component { public Quaternion localRotation; }
    public struct Quaternion { public static Quaternion Euler(float x, float y, float z) { return new Quaternion(); } public static Quaternion operator *(Quaternion a, Quaternion b) { return a; } }
    public class Mesh : Object { public int blendShapeCount; public string GetBlendShapeName(int i) { return ""; } public int GetBlendShapeIndex(string n) { return -1; } }
    public class SkinnedMeshRenderer : Component { public Mesh sharedMesh; public void SetBlendShapeWeight(int i, float w) { } }
    public class AudioClip : Object { public static AudioClip Create(string n, int len, int ch, int rate, bool stream) { return null; } }
    public class AudioSource : Behaviour { public bool playOnAwake, loop, isPlaying; public AudioClip clip; public void Play() { } public void Stop() { } }
    public static class AudioSettings { public static int outputSampleRate; public static void GetDSPBufferSize(out int l, out int n) { l = 1024; n = 4; } }
    public static class Time { public static float unscaledTime; }
    public static class Mathf { public const float Rad2Deg = 57.29578f; public static float Min(float a, float b) { return a < b ? a : b; } }
    public static class Debug { public static void Log(object o) { } public static void LogWarning(object o) { } public static void LogError(object o) { } }
    public static class Application { public static event Action quitting; static void Touch() { quitting(); } }
    public static class Input { public static bool GetKeyDown(KeyCode k) { return false; } }
    public enum KeyCode { Space, Escape }
    public static class GUILayout { public static void Label(string s) { } }
    public class RequireComponent : Attribute { public RequireComponent(Type t) { } }
    public class CreateAssetMenuAttribute : Attribute { public string menuName, fileName; }
    public class RangeAttribute : Attribute { public RangeAttribute(float a, float b) { } }
    public class TextAreaAttribute : Attribute { }
}
namespace UnityEngine.Events
{
    public class UnityEvent { public void Invoke() { } public void AddListener(Action a) { } }
    public class UnityEvent<T> { public void Invoke(T t) { } public void AddListener(Action<T> a) { } }
}
