using System;

namespace FacePlex.Core
{
    /// <summary>A bone-local axis and its sign (rigs are not all +Z forward / +Y up).</summary>
    public enum BoneAxis { PlusX, MinusX, PlusY, MinusY, PlusZ, MinusZ }

    /// <summary>
    /// Head and eye rotations for a bone, engine-free. Quaternions are float[4] in (x, y, z, w) order, the
    /// field order of Unity's <c>Quaternion</c> (UnityCsReference 2021.3 Runtime/Export/Math/Quaternion.cs:19-25).
    /// </summary>
    public static class HeadPose
    {
        /// <summary>
        /// The rotation for <paramref name="yaw"/>, <paramref name="pitch"/>, <paramref name="roll"/>
        /// (radians, the wire's units) about the given bone axes, composed yaw · pitch · roll (roll applied
        /// first, then pitch, then yaw: the order of Unity's <c>Quaternion.Euler</c> for the same three
        /// axes), into <paramref name="q"/> (x, y, z, w). With the default Unity-rig axes (pitch +X, yaw −Y,
        /// roll −Z) it equals <c>Quaternion.Euler(pitch°, −yaw°, −roll°)</c>: +yaw turns the character to its
        /// left, +pitch looks down.
        /// </summary>
        public static void Compose(float yaw, float pitch, float roll, BoneAxis yawAxis, BoneAxis pitchAxis, BoneAxis rollAxis, float[] q)
        {
            // Allocation-free (called per bone per frame): q = yaw · pitch, then q · roll.
            AxisAngle(yawAxis, yaw, q);
            float px, py, pz, pw;
            Axis(pitchAxis, pitch, out px, out py, out pz, out pw);
            MulInPlace(q, px, py, pz, pw);
            Axis(rollAxis, roll, out px, out py, out pz, out pw);
            MulInPlace(q, px, py, pz, pw);
        }

        private static void Axis(BoneAxis axis, float radians, out float x, out float y, out float z, out float w)
        {
            float s = (float)Math.Sin(radians / 2);
            w = (float)Math.Cos(radians / 2);
            int i = (int)axis / 2;
            if (((int)axis & 1) == 1) s = -s;
            x = i == 0 ? s : 0f; y = i == 1 ? s : 0f; z = i == 2 ? s : 0f;
        }

        private static void MulInPlace(float[] a, float bx, float by, float bz, float bw)
        {
            float x = a[3] * bx + a[0] * bw + a[1] * bz - a[2] * by;
            float y = a[3] * by + a[1] * bw + a[2] * bx - a[0] * bz;
            float z = a[3] * bz + a[2] * bw + a[0] * by - a[1] * bx;
            float w = a[3] * bw - a[0] * bx - a[1] * by - a[2] * bz;
            a[0] = x; a[1] = y; a[2] = z; a[3] = w;
        }

        /// <summary>The rotation by <paramref name="radians"/> about <paramref name="axis"/> into <paramref name="q"/>.</summary>
        public static void AxisAngle(BoneAxis axis, float radians, float[] q)
        {
            Axis(axis, radians, out q[0], out q[1], out q[2], out q[3]);
        }

        /// <summary>Hamilton product <paramref name="a"/> · <paramref name="b"/> (apply b, then a) into
        /// <paramref name="r"/> (must not alias a or b): Unity's <c>Quaternion * Quaternion</c>
        /// (Quaternion.cs:87).</summary>
        public static void Multiply(float[] a, float[] b, float[] r)
        {
            r[0] = a[3] * b[0] + a[0] * b[3] + a[1] * b[2] - a[2] * b[1];
            r[1] = a[3] * b[1] + a[1] * b[3] + a[2] * b[0] - a[0] * b[2];
            r[2] = a[3] * b[2] + a[2] * b[3] + a[0] * b[1] - a[1] * b[0];
            r[3] = a[3] * b[3] - a[0] * b[0] - a[1] * b[1] - a[2] * b[2];
        }

        /// <summary>True when the two unit quaternions are the same rotation within Unity's own tolerance
        /// (|dot| &gt; 0.999999, Quaternion.cs:124 IsEqualUsingDot).</summary>
        public static bool Same(float[] a, float[] b)
        {
            float dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
            return Math.Abs(dot) > 0.999999f;
        }
    }

    /// <summary>
    /// The pose a bone's face rotation is composed on, when it is added on top of animation. Each frame
    /// the glue reads the bone's local rotation after animation: if it still is what the glue wrote last
    /// frame, no clip wrote the bone, and the base is the one cached (composing on the read value would
    /// add the rotation again every frame and spin the bone); otherwise animation wrote it, and that is
    /// the new base. One per bone.
    /// </summary>
    public sealed class BasePose
    {
        private readonly float[] _base = new float[4], _written = new float[4];
        private bool _hasWritten;

        /// <summary>The base for this frame from the bone's current local rotation
        /// <paramref name="current"/>, into <paramref name="baseOut"/>.</summary>
        public void Resolve(float[] current, float[] baseOut)
        {
            if (!_hasWritten || !HeadPose.Same(current, _written)) Array.Copy(current, _base, 4);
            Array.Copy(_base, baseOut, 4);
        }

        /// <summary>What the glue wrote to the bone this frame.</summary>
        public void Wrote(float[] rotation) { Array.Copy(rotation, _written, 4); _hasWritten = true; }

        /// <summary>Forgets the cache (the bone was re-assigned).</summary>
        public void Reset() { _hasWritten = false; }
    }
}
