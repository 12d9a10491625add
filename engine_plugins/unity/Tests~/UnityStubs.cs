// Compile-only stand-ins for the UnityEngine APIs the glue uses, so CI can type-check Runtime/Unity
// and Samples~ with mcs. Not Unity: nothing here runs. Every member copies the signature (name,
// static-ness, parameter and return types, property vs method) of Unity's C# reference source,
// Unity-Technologies/UnityCsReference, branch 2021.3 (the package's minimum version); the file and
// line of each is cited. Bodies are placeholders. Types Unity declares as extern properties are
// properties here too, so a glue line that assigns a read-only property fails to compile here as
// it would in Unity.
using System;
using System.Collections;

namespace UnityEngine
{
    // Runtime/Export/Scripting/UnityEngineObject.bindings.cs:64 (class), :112 (bool), :168 (name), :473/:475 (==, !=)
    public partial class Object
    {
        public string name { get { return ""; } set { } }
        public static implicit operator bool(Object exists) { return !ReferenceEquals(exists, null); }
        public static bool operator ==(Object x, Object y) { return ReferenceEquals(x, y); }
        public static bool operator !=(Object x, Object y) { return !ReferenceEquals(x, y); }
        public override bool Equals(object other) { return base.Equals(other); }
        public override int GetHashCode() { return 0; }
    }

    // Runtime/Export/Scripting/Component.bindings.cs:18 (class), :20 (transform), :42 (GetComponent<T>),
    // :135 (GetComponentInParent<T>)
    public partial class Component : Object
    {
        public Transform transform { get { return null; } }
        public T GetComponent<T>() { return default(T); }
        public T GetComponentInParent<T>() { return default(T); }
    }

    // Runtime/Export/Scripting/Behaviour.bindings.cs:13, :18
    public class Behaviour : Component { public bool enabled { get; set; } }
    // Runtime/Export/Scripting/MonoBehaviour.bindings.cs:19
    public class MonoBehaviour : Behaviour { }
    // Runtime/Export/Scripting/ScriptableObject.bindings.cs:19
    public class ScriptableObject : Object { }

    // Runtime/Transform/ScriptBindings/Transform.bindings.cs:21 (class), :26 (position), :60 (localRotation)
    public partial class Transform : Component, IEnumerable
    {
        public Vector3 position { get; set; }
        public Quaternion localRotation { get; set; }
        public IEnumerator GetEnumerator() { return null; }
    }

    // Runtime/Export/Math/Quaternion.cs:16 (struct), :19-25 (fields x, y, z, w), :61 (ctor), :87 (operator*),
    // :207 (Euler, degrees)
    public partial struct Quaternion
    {
        public float x; public float y; public float z; public float w;
        public Quaternion(float x, float y, float z, float w) { this.x = x; this.y = y; this.z = z; this.w = w; }
        public static Quaternion operator *(Quaternion lhs, Quaternion rhs) { return lhs; }
        public static Quaternion Euler(float x, float y, float z) { return new Quaternion(); }
    }

    // Runtime/Export/Math/Vector3.cs:22 (struct), :352 (Distance)
    public partial struct Vector3
    {
        public static float Distance(Vector3 a, Vector3 b) { return 0f; }
    }

    // Runtime/Export/Camera/Camera.bindings.cs:30 (class), :214 (main)
    public sealed partial class Camera : Behaviour
    {
        public static Camera main { get { return null; } }
    }

    // Runtime/Export/Graphics/Mesh.bindings.cs:16 (class), :154, :160, :163
    public sealed partial class Mesh : Object
    {
        public int blendShapeCount { get { return 0; } }
        public string GetBlendShapeName(int shapeIndex) { return ""; }
        public int GetBlendShapeIndex(string blendShapeName) { return -1; }
    }

    // Runtime/Export/Graphics/GraphicsRenderers.bindings.cs:21 (Renderer), :75 (isVisible), :343 (class), :353, :357
    public partial class Renderer : Component { public bool isVisible { get { return false; } } }
    public partial class SkinnedMeshRenderer : Renderer
    {
        public Mesh sharedMesh { get; set; }
        public void SetBlendShapeWeight(int index, float value) { }
    }

    // Modules/Audio/Public/ScriptBindings/Audio.bindings.cs (2021.3): AudioConfiguration :45,
    // AudioSettings (outputSampleRate :269, GetDSPBufferSize :287, GetConfiguration :322,
    // AudioConfigurationChangeHandler :329, OnAudioConfigurationChanged :331), AudioClip :404
    // (length :417, samples :422, channels :426, frequency :429, loadType :440, GetData :458, SetData :471,
    // Create :507), AudioBehaviour :562, AudioListener :569 (pause :582), AudioSource :621 (volume :642,
    // clip :668, Play :746, Stop :790, isPlaying :802, loop :841, playOnAwake :847, ignoreListenerPause :850,
    // spatialBlend :861, spatialize :864, spatializePostEffects :867), Microphone :1185 (Start :1202,
    // End :1222, devices :1232, IsRecording :1245, GetPosition :1255, GetDeviceCaps :1265).
    public enum AudioSpeakerMode { Mono = 1, Stereo = 2, Quad = 3, Surround = 4, Mode5point1 = 5, Mode7point1 = 6, Prologic = 7 }
    public enum AudioClipLoadType { DecompressOnLoad = 0, CompressedInMemory = 1, Streaming = 2 }
    public struct AudioConfiguration
    {
        public AudioSpeakerMode speakerMode;
        public int dspBufferSize;
        public int sampleRate;
        public int numRealVoices;
        public int numVirtualVoices;
    }
    public sealed partial class AudioSettings
    {
        public static int outputSampleRate { get { return 48000; } set { } }
        public static void GetDSPBufferSize(out int bufferLength, out int numBuffers) { bufferLength = 1024; numBuffers = 4; }
        public static AudioConfiguration GetConfiguration() { return new AudioConfiguration(); }
        public delegate void AudioConfigurationChangeHandler(bool deviceWasChanged);
        public static event AudioConfigurationChangeHandler OnAudioConfigurationChanged;
        static void Touch() { OnAudioConfigurationChanged(false); }
    }
    public sealed class AudioClip : Object
    {
        private AudioClip() { }
        public float length { get { return 0f; } }
        public int samples { get { return 0; } }
        public int channels { get { return 0; } }
        public int frequency { get { return 0; } }
        public AudioClipLoadType loadType { get { return AudioClipLoadType.DecompressOnLoad; } }
        public bool GetData(float[] data, int offsetSamples) { return false; }
        public bool SetData(float[] data, int offsetSamples) { return false; }
        public static AudioClip Create(string name, int lengthSamples, int channels, int frequency, bool stream) { return null; }
    }
    public class AudioBehaviour : Behaviour { }
    public sealed class AudioListener : AudioBehaviour { public static bool pause { get { return false; } set { } } }
    public sealed partial class AudioSource : AudioBehaviour
    {
        public float volume { get; set; }
        public AudioClip clip { get; set; }
        public void Play() { }
        public void Stop() { }
        public bool isPlaying { get { return false; } }
        public bool loop { get; set; }
        public bool playOnAwake { get; set; }
        public bool ignoreListenerPause { get; set; }
        public float spatialBlend { get; set; }
        public bool spatialize { get; set; }
        public bool spatializePostEffects { get; set; }
    }
    public sealed class Microphone
    {
        public static AudioClip Start(string deviceName, bool loop, int lengthSec, int frequency) { return null; }
        public static void End(string deviceName) { }
        public static string[] devices { get { return new string[0]; } }
        public static bool IsRecording(string deviceName) { return false; }
        public static int GetPosition(string deviceName) { return 0; }
        public static void GetDeviceCaps(string deviceName, out int minFreq, out int maxFreq) { minFreq = 0; maxFreq = 0; }
    }

    // Runtime/Export/Networking/Ping.bindings.cs:11 (class), :15 (ctor), :41 (isDone): a user script that
    // imports UnityEngine and FacePlex.Core must still be able to say "Ping" (Tests~/UserScript.cs).
    public sealed partial class Ping
    {
        public Ping(string address) { }
        public bool isDone { get { return false; } }
    }

    // Runtime/Export/Time/Time.bindings.cs:43 (unscaledTime), :75 (timeScale)
    public class Time
    {
        public static float unscaledTime { get { return 0f; } }
        public static float timeScale { get { return 1f; } set { } }
    }

    // Runtime/Export/Math/Mathf.cs: Min :59, Max :93 (float) :110 (int), Clamp :184, Clamp01 :207, Deg2Rad :173, Rad2Deg :176
    public partial struct Mathf
    {
        public const float Deg2Rad = 0.0174532924F;
        public const float Rad2Deg = 57.29578F;
        public static float Min(float a, float b) { return a < b ? a : b; }
        public static float Max(float a, float b) { return a > b ? a : b; }
        public static int Max(int a, int b) { return a > b ? a : b; }
        public static float Clamp(float value, float min, float max) { return value; }
        public static float Clamp01(float value) { return value; }
    }

    // Runtime/Export/Debug/Debug.bindings.cs:106, :134, :184
    public partial class Debug
    {
        public static void Log(object message) { }
        public static void LogError(object message) { }
        public static void LogWarning(object message) { }
    }

    // Runtime/Export/Application/Application.cs:31 (UserAuthorization), :276 (quitting);
    // Application.bindings.cs:356 (RequestUserAuthorization), :360 (HasUserAuthorization)
    public enum UserAuthorization { WebCam = 1, Microphone = 2 }
    public class AsyncOperation { }
    public partial class Application
    {
        public static event Action quitting;
        public static AsyncOperation RequestUserAuthorization(UserAuthorization mode) { return null; }
        public static bool HasUserAuthorization(UserAuthorization mode) { return true; }
        static void Touch() { quitting(); }
    }

    // Modules/InputLegacy/Input.bindings.cs:323; Runtime/Export/Input/KeyCode.cs:10 (values abridged)
    public class Input { public static bool GetKeyDown(KeyCode key) { return false; } }
    public enum KeyCode { None = 0, Space = 32, Escape = 27 }

    // Modules/IMGUI/GUILayout.cs:13; GUILayoutOption.cs:10
    public sealed class GUILayoutOption { }
    public partial class GUILayout { public static void Label(string text, params GUILayoutOption[] options) { } }

    // Runtime/Export/Scripting/Attributes.cs:17/:27 (RequireComponent), :54 (CreateAssetMenuAttribute), :94 (HideInInspector)
    public sealed class HideInInspector : Attribute { }
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
    public sealed class RequireComponent : Attribute { public RequireComponent(Type requiredComponent) { } }
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class CreateAssetMenuAttribute : Attribute
    {
        public string menuName { get; set; }
        public string fileName { get; set; }
        public int order { get; set; }
    }

    // Runtime/Export/Geometry/Rect.cs:19 (struct), :29 (ctor), :68 (x), :70 (y), :88 (width), :90 (height)
    public partial struct Rect
    {
        public Rect(float x, float y, float width, float height) { }
        public float x { get { return 0f; } set { } }
        public float y { get { return 0f; } set { } }
        public float width { get { return 0f; } set { } }
        public float height { get { return 0f; } set { } }
    }

    // Modules/IMGUI/GUIContent.cs:17 (class), :32 (text), :56 (ctor)
    public class GUIContent
    {
        public GUIContent(string text) { }
        public string text { get { return ""; } set { } }
    }

    // Runtime/Export/PropertyDrawer/PropertyAttribute.cs: PropertyAttribute :11, Tooltip :41/:45,
    // Header :72/:76, Range :84/:90, TextArea :130/:135
    public abstract class PropertyAttribute : Attribute { }
    public class TooltipAttribute : PropertyAttribute { public TooltipAttribute(string tooltip) { } }
    public class HeaderAttribute : PropertyAttribute { public HeaderAttribute(string header) { } }
    public sealed class RangeAttribute : PropertyAttribute { public RangeAttribute(float min, float max) { } }
    public sealed class TextAreaAttribute : PropertyAttribute { public TextAreaAttribute() { } }
}

namespace UnityEngine.Events
{
    // Runtime/Export/UnityEvent/UnityEvent/UnityEvent_0.cs:20/:23/:28/:54, UnityEvent_1.cs, UnityEvent_2.cs (same lines)
    public delegate void UnityAction();
    public delegate void UnityAction<T0>(T0 arg0);
    public delegate void UnityAction<T0, T1>(T0 arg0, T1 arg1);
    public abstract class UnityEventBase { }
    public class UnityEvent : UnityEventBase { public void AddListener(UnityAction call) { } public void Invoke() { } }
    public class UnityEvent<T0> : UnityEventBase { public void AddListener(UnityAction<T0> call) { } public void Invoke(T0 arg0) { } }
    public class UnityEvent<T0, T1> : UnityEventBase { public void AddListener(UnityAction<T0, T1> call) { } public void Invoke(T0 arg0, T1 arg1) { } }
}

namespace UnityEditor
{
    using UnityEngine;

    // Editor/Mono/ScriptAttributeGUI/GUIDrawer.cs:8; PropertyDrawer.cs:13 (class), :32 (OnGUI), :53 (GetPropertyHeight)
    public abstract class GUIDrawer { }
    public abstract class PropertyDrawer : GUIDrawer
    {
        public virtual void OnGUI(Rect position, SerializedProperty property, GUIContent label) { }
        public virtual float GetPropertyHeight(SerializedProperty property, GUIContent label) { return 0f; }
    }

    // Editor/Mono/ScriptAttributeGUI/CustomPropertyDrawerAttribute.cs:10-17
    [System.AttributeUsage(System.AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
    public sealed class CustomPropertyDrawer : System.Attribute { public CustomPropertyDrawer(System.Type type) { } }

    // Editor/Mono/SerializedObject.bindings.cs:18 (class), :117 (targetObject)
    public class SerializedObject : System.IDisposable
    {
        public Object targetObject { get { return null; } }
        public void Dispose() { }
    }

    // Editor/Mono/SerializedProperty.bindings.cs:91 (class), :104 (serializedObject), :901 (stringValue)
    public class SerializedProperty : System.IDisposable
    {
        public SerializedObject serializedObject { get { return null; } }
        public string stringValue { get { return ""; } set { } }
        public void Dispose() { }
    }

    // Editor/Mono/EditorGUIUtility.bindings.cs:61
    public enum MessageType { None = 0, Info = 1, Warning = 2, Error = 3 }

    // Editor/Mono/EditorGUI.cs:32 (class), :6362 (HelpBox), :7895 (TextField), :8324 (Popup)
    public sealed partial class EditorGUI
    {
        public static void HelpBox(Rect position, string message, MessageType type) { }
        public static string TextField(Rect position, string label, string text) { return text; }
        public static int Popup(Rect position, string label, int selectedIndex, string[] displayedOptions) { return selectedIndex; }
    }

    // Editor/Mono/EditorGUIUtility.cs:26 (class; its base GUIUtility: Modules/IMGUI/GUIUtility.cs:38), :645 (singleLineHeight)
    public sealed partial class EditorGUIUtility
    {
        public static float singleLineHeight { get { return 18f; } }
    }
}
