namespace FacePlex.Core
{
    /// <summary>
    /// Whether a character's face is applied this frame (many characters: save the blendshape writes of
    /// the ones nobody sees). The face is always evaluated at the sample being heard, so a skipped frame
    /// loses nothing: the next applied frame shows the face of that moment (it keeps its place), and the
    /// audio, events and marks never skip.
    /// </summary>
    public sealed class FaceUpdateGate
    {
        /// <summary>Skip while no camera sees the face's renderers.</summary>
        public bool SkipWhenInvisible;
        /// <summary>Beyond this distance from the camera (world units; 0 = no limit) apply only every
        /// <see cref="FarFrameInterval"/>-th frame.</summary>
        public float FarDistance;
        /// <summary>Frames between updates beyond <see cref="FarDistance"/> (1 = every frame; 0 = never).</summary>
        public int FarFrameInterval = 4;

        private int _farCount;

        /// <summary>Decides for this frame. <paramref name="visible"/>: any renderer visible;
        /// <paramref name="distance"/>: to the camera, world units (negative = unknown: near).</summary>
        public bool ShouldApply(bool visible, float distance)
        {
            if (SkipWhenInvisible && !visible) return false;
            if (FarDistance > 0f && distance > FarDistance)
            {
                if (FarFrameInterval <= 0) return false;
                bool apply = _farCount % FarFrameInterval == 0;
                _farCount++;
                return apply;
            }
            _farCount = 0;
            return true;
        }
    }
}
