using System;
using FacePlex.Core;
using UnityEngine;

namespace FacePlex.Unity
{
    /// <summary>
    /// Applies the face at the sample being heard (not the newest frame received) to SkinnedMeshRenderers
    /// in LateUpdate (after animation), through a <see cref="BlendshapeMapping"/>. Optional head/eye
    /// transforms get the rotation channels (radians on the wire) about bone axes set per rig (defaults:
    /// a Unity rig facing +Z with +Y up: yaw + turns the character to its left, pitch + looks down).
    /// <para>
    /// The character is the <see cref="character"/> field, else a <see cref="FacePlexCharacter"/> on this
    /// GameObject or a parent; without one the component says so once and does nothing.
    /// Many characters: <see cref="skipWhenInvisible"/> and <see cref="farDistance"/> skip blendshape writes
    /// of faces nobody sees; the face is read at the heard sample whenever it is applied, so it never
    /// falls behind (FacePlex.Core.FaceUpdateGate). Audio, words and events never skip.
    /// </para>
    /// </summary>
    public sealed class FacePlexFace : MonoBehaviour
    {
        [Tooltip("Source of the timeline and the heard position; empty = the FacePlexCharacter on this GameObject or a parent.")]
        public FacePlexCharacter character;
        [Tooltip("Meshes with the face blendshapes.")]
        public SkinnedMeshRenderer[] renderers = new SkinnedMeshRenderer[0];
        [Tooltip("Optional mapping asset; empty = match ARKit names.")]
        public BlendshapeMapping mapping;
        [Tooltip("Blendshape weight for a channel value of 1 (Unity's blendshape range is 0-100).")]
        public float weightScale = 100f;

        [Header("Head and eyes")]
        [Tooltip("Optional head bone (headYaw/headPitch/headRoll).")]
        public Transform head;
        [Tooltip("Optional eye bones (leftEyeYaw/Pitch, rightEyeYaw/Pitch).")]
        public Transform leftEye, rightEye;
        [Tooltip("Multiplier of the rotation channels.")]
        public float rotationScale = 1f;
        [Tooltip("On: add the rotations to the pose animation gives the bones this frame (a bone no clip writes keeps its cached pose, so it never accumulates). Off: apply them to the rest rotation captured in Awake.")]
        public bool additiveToAnimation = false;
        [Tooltip("Bone-local axis the yaw turns about (Unity rigs facing +Z, +Y up: MinusY, so yaw + turns left).")]
        public BoneAxis yawAxis = BoneAxis.MinusY;
        [Tooltip("Bone-local axis the pitch turns about (+Z forward, +Y up: PlusX, so pitch + looks down).")]
        public BoneAxis pitchAxis = BoneAxis.PlusX;
        [Tooltip("Bone-local axis the roll turns about (+Z forward: MinusZ).")]
        public BoneAxis rollAxis = BoneAxis.MinusZ;

        [Header("Many characters")]
        [Tooltip("Skip blendshape and bone writes while no camera sees any of the renderers.")]
        public bool skipWhenInvisible = false;
        [Tooltip("Beyond this distance from Camera.main (world units; 0 = off) update only every Far Frame Interval frames.")]
        public float farDistance = 0f;
        [Tooltip("Frames between face updates beyond Far Distance (1 = every frame).")]
        [Range(1f, 30f)] public int farFrameInterval = 4;

        private Quaternion _headRest, _leftRest, _rightRest;
        private readonly BasePose _headBase = new BasePose(), _leftBase = new BasePose(), _rightBase = new BasePose();
        private readonly FaceUpdateGate _gate = new FaceUpdateGate();
        private readonly float[] _q = new float[4], _b = new float[4], _r = new float[4];
        private bool _warned;

        private void Awake()
        {
            if (head != null) _headRest = head.localRotation;
            if (leftEye != null) _leftRest = leftEye.localRotation;
            if (rightEye != null) _rightRest = rightEye.localRotation;
            FindCharacter();
        }

        /// <summary>The character this face follows: <see cref="character"/>, else one on this GameObject or a
        /// parent (Component.GetComponent / GetComponentInParent, UnityCsReference 2021.3
        /// Runtime/Export/Scripting/Component.bindings.cs:42, :135). Null when there is none (logged once).</summary>
        public FacePlexCharacter FindCharacter()
        {
            if (character != null) return character;
            character = GetComponent<FacePlexCharacter>();
            if (character == null) character = GetComponentInParent<FacePlexCharacter>();
            if (character == null && !_warned)
            {
                _warned = true;
                Debug.LogWarning("FacePlex: FacePlexFace on \"" + name + "\" has no character: set its Character field, or put it on (or under) the GameObject with the FacePlexCharacter");
            }
            return character;
        }

        private float[] _values = new float[0];
        private string[] _channels;
        private int[][] _indices;
        private float[][] _scales;
        private int _yaw = -1, _pitch = -1, _roll = -1, _lYaw = -1, _lPitch = -1, _rYaw = -1, _rPitch = -1;

        private void Resolve(string[] channels)
        {
            _channels = channels;
            _values = new float[channels.Length];
            _indices = new int[renderers.Length][];
            _scales = new float[renderers.Length][];
            for (int r = 0; r < renderers.Length; r++)
            {
                if (renderers[r] == null || renderers[r].sharedMesh == null) { _indices[r] = new int[0]; _scales[r] = new float[0]; continue; }
                BlendshapeMapping.Resolve(mapping, renderers[r].sharedMesh, channels, out _indices[r], out _scales[r]);
            }
            _yaw = Array.IndexOf(channels, "headYaw"); _pitch = Array.IndexOf(channels, "headPitch"); _roll = Array.IndexOf(channels, "headRoll");
            _lYaw = Array.IndexOf(channels, "leftEyeYaw"); _lPitch = Array.IndexOf(channels, "leftEyePitch");
            _rYaw = Array.IndexOf(channels, "rightEyeYaw"); _rPitch = Array.IndexOf(channels, "rightEyePitch");
        }

        private bool AnyVisible()
        {
            for (int r = 0; r < renderers.Length; r++) if (renderers[r] != null && renderers[r].isVisible) return true;
            return renderers.Length == 0;
        }

        private void LateUpdate()
        {
            if (character == null && FindCharacter() == null) return;
            var tl = character.Timeline;
            var channels = character.Channels;
            if (tl == null || channels == null) return;
            _gate.SkipWhenInvisible = skipWhenInvisible;
            _gate.FarDistance = farDistance;
            _gate.FarFrameInterval = farFrameInterval;
            float distance = -1f;
            if (farDistance > 0f)
            {
                var cam = Camera.main;
                if (cam != null) distance = Vector3.Distance(cam.transform.position, transform.position);
            }
            if (!_gate.ShouldApply(!skipWhenInvisible || AnyVisible(), distance)) return;
            if (!ReferenceEquals(channels, _channels)) Resolve(channels);
            if (!tl.FaceAt(character.HeardSample, _values)) return;
            for (int r = 0; r < renderers.Length; r++)
            {
                var smr = renderers[r];
                if (smr == null) continue;
                var idx = _indices[r];
                for (int c = 0; c < idx.Length; c++)
                    if (idx[c] >= 0) smr.SetBlendShapeWeight(idx[c], _values[c] * _scales[r][c] * weightScale);
            }
            Rotate(head, _headRest, _headBase, _yaw, _pitch, _roll);
            Rotate(leftEye, _leftRest, _leftBase, _lYaw, _lPitch, -1);
            Rotate(rightEye, _rightRest, _rightBase, _rYaw, _rPitch, -1);
        }

        private void Rotate(Transform t, Quaternion rest, BasePose cache, int yaw, int pitch, int roll)
        {
            if (t == null) return;
            float k = rotationScale;
            float y = yaw >= 0 ? _values[yaw] : 0f, p = pitch >= 0 ? _values[pitch] : 0f, r = roll >= 0 ? _values[roll] : 0f;
            HeadPose.Compose(y * k, p * k, r * k, yawAxis, pitchAxis, rollAxis, _q);   // radians, bone-local axes
            if (additiveToAnimation)
            {
                // The animated pose of this frame, or the cached one when no clip wrote the bone (else it spins).
                var cur = t.localRotation;
                _r[0] = cur.x; _r[1] = cur.y; _r[2] = cur.z; _r[3] = cur.w;
                cache.Resolve(_r, _b);
            }
            else { _b[0] = rest.x; _b[1] = rest.y; _b[2] = rest.z; _b[3] = rest.w; }
            HeadPose.Multiply(_b, _q, _r);
            t.localRotation = new Quaternion(_r[0], _r[1], _r[2], _r[3]);
            cache.Wrote(_r);
        }
    }
}
