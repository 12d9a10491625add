"""Fixed shapes of the Rolling Flow Matching (RFM) motion model, shared by training, export and serving.

Internal frame rate and the rolling queue
-----------------------------------------
The model runs at :data:`FPS` = 30 internal frames per second (internal frame ``i`` sits at
``i / 30`` s of session time). One queue *slot* holds :data:`SLOT` = 3 frames (100 ms, an integral
number of frames), the queue holds :data:`K` = 4 slots (FacePlex uses K = 4), so the noisy window is
:data:`W` = 12 frames and the motion look-ahead is ``K x slot = 400 ms`` of speech. :data:`CTX` = 6
already-committed frames (200 ms) precede the window as clean context. Each *commit* integrates
:data:`STEPS` Euler substeps for all slots; slot ``k`` (0 = front) has flow time
``(K-1-k)/K + j/(STEPS*K)`` at substep ``j`` (per-slot staggered times), so the front slot reaches
``t = 1`` after ``K * STEPS`` = 8 steps in all and is committed, and a fresh noise slot joins the
tail.

Session timeline: output frame ``n`` at ``fps`` (30 or 60) sits at ``n / fps`` s, i.e. at internal
position ``p = n * 30 / fps``; its value is the linear interpolation of internal frames
``floor(p)`` and ``floor(p) + 1`` (at 30 fps exactly internal frame ``n``; at 60 fps even frames are
internal frames, odd frames midpoints). PROTOCOL.md places frame ``n`` at sample
``floor(n * sr / fps)``, so the face is never late against its audio sample by more than one
sample period.
"""

from __future__ import annotations

from faceplex.protocol.names import NUM_CHANNELS

FPS = 30                   # internal frames per second
SLOT = 3                   # frames per queue slot (100 ms)
K = 4                      # queue slots (look-ahead K * SLOT frames = 400 ms)
W = K * SLOT               # noisy window, frames
CTX = 6                    # clean committed context frames
T = CTX + W                # tokens per window
STEPS = 2                  # Euler substeps per commit (8 steps from noise to a committed frame)
D_MOTION = NUM_CHANNELS    # 52 ARKit + head yaw/pitch/roll + eye yaw/pitch (59)

# Conditioning features per internal frame (features.py)
AUDIO_SR = 16000
N_MELS = 32
MEL_SUB = 4                # log-mel sub-frames per internal frame (8.3 ms apart)
D_MEL = N_MELS * MEL_SUB   # 128
N_VIS = 15                 # OVRLipSync visemes (occupancy of the frame's 33 ms span)
D_PHONE = N_VIS + 1        # + "phones known" flag
D_FLAGS = 3                # own speech active (speaking), partner VAD state (listening), partner audio known
D_COND = D_MEL + D_PHONE + D_MEL + D_FLAGS   # own log-mel, phones, partner log-mel, flags = 275
PARTNER = slice(D_MEL + D_PHONE, 2 * D_MEL + D_PHONE)   # partner log-mel columns of the conditioning
F_SPEAKING, F_LISTENING, F_PARTNER_KNOWN = D_COND - 3, D_COND - 2, D_COND - 1

# Partner speech as the daemon sees it (bridge/listening/listener.py, models/audio/vad.py): Silero VAD windows of
# 32 ms, a start needs 2 speech windows, a stop 500 ms (``vad_silence_ms``) of silence, so a start
# is known 64 ms after the onset it names and a stop 512 ms after the speech end it names.
VAD_START_KNOWN_S = 2 * 0.032
VAD_STOP_KNOWN_S = 16 * 0.032
#: Live, partner audio is known up to the media clock, which runs behind the committed frames by
#: the session's lead plus the commit-ahead margin: training draws the horizon (first unknown
#: partner frame) from HORIZON_FRAMES frames relative to the window's first frame.
HORIZON_FRAMES = (-14, 0)
#: Fraction of training windows with the partner fully known (offline conditioning).
OFFLINE_PARTNER_P = 0.2

# Global embeddings
N_STYLES = 4               # 0 neutral, 1 calm, 2 lively, 3 reserved
STYLE_NAMES = ("neutral", "calm", "lively", "reserved")
N_CHARACTERS = 8


def look_ahead_ms() -> float:
    return 1000.0 * W / FPS


def slot_ms() -> float:
    return 1000.0 * SLOT / FPS


def style_for_expressiveness(x: float) -> int:
    """Session ``expressiveness`` -> style id (the synthetic corpus labels teacher takes this way)."""
    if x <= 0.75:
        return 1
    if x >= 1.25:
        return 2
    return 0
