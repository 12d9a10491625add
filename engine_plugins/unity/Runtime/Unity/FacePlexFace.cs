using System;
using FacePlex.Core;
using UnityEngine;

namespace FacePlex.Unity
{
    /// <summary>
    /// Applies the face at the sample being heard (not the newest frame received) to SkinnedMeshRenderers
    /// in LateUpdate (after animation), through a <see cref="BlendshapeMapping"/>. Optional head/eye
    /// transforms get the rotation channels (radians on the wire), added on top of their animated pose.
    /// Rigs are assumed to face +Z (Unity convention): yaw + turns the character to its left.
    /// </summary>
    public sealed class FacePlexFace : MonoBehaviour
    {
        /// <summary>Source of the timeline and the heard position.</summary>
        public FacePlexCharacter character;
        /// <summary>Meshes with the face blendshapes.</summary>
        public SkinnedMeshRenderer[] renderers = new SkinnedMeshRenderer[0];
        /// <summary>Optional mapping asset; null = match ARKit names.</summary>
        public BlendshapeMapping mapping;
        /// <summary>Blendshape weight for a channel value of 1 (Unity's blendshape range is 0-100).</summary>
        public float weightScale = 100f;
        /// <summary>Optional head bone (headYaw/headPitch/headRoll).</summary>
        public Transform head;
        /// <summary>Optional eye bones (leftEyeYaw/Pitch, rightEyeYaw/Pitch).</summary>
        public Transform leftEye, rightEye;
        /// <summary>Multiplier of the rotation channels.</summary>
        public float rotationScale = 1f;
        /// <summary>True: add the rotations to the pose an Animator wrote this frame. False: apply them
        /// to the bones' rest rotation captured in Awake (rigs without an Animator on those bones).</summary>
        public bool additiveToAnimation = false;

        private Quaternion _headRest, _leftRest, _rightRest;

        private void Awake()
        {
            if (head != null) _headRest = head.localRotation;
            if (leftEye != null) _leftRest = leftEye.localRotation;
            if (rightEye != null) _rightRest = rightEye.localRotation;
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

        private void LateUpdate()
        {
            if (character == null) return;
            var tl = character.Timeline;
            var channels = character.Channels;
            if (tl == null || channels == null) return;
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
            Rotate(head, _headRest, _yaw, _pitch, _roll);
            Rotate(leftEye, _leftRest, _lYaw, _lPitch, -1);
            Rotate(rightEye, _rightRest, _rYaw, _rPitch, -1);
        }

        private void Rotate(Transform t, Quaternion rest, int yaw, int pitch, int roll)
        {
            if (t == null) return;
            float k = Mathf.Rad2Deg * rotationScale;
            float y = yaw >= 0 ? _values[yaw] : 0f, p = pitch >= 0 ? _values[pitch] : 0f, r = roll >= 0 ? _values[roll] : 0f;
            // Unity is left-handed, Y up: +X rotation looks down, +Y turns right, +Z tilts left.
            var baseRotation = additiveToAnimation ? t.localRotation : rest;
            t.localRotation = baseRotation * Quaternion.Euler(p * k, -y * k, -r * k);
        }
    }
}
