using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using FacePlex.Core;

namespace FacePlex.Tests
{
    /// <summary>
    /// Offline tests of the core parts a game leans on (issue 21): spatial playback by modulation, pause
    /// that holds audio and face together, the heard position, the face update gate, the microphone's
    /// retry/resume state machine, head/eye poses, requests queued before the session opens, and client
    /// lifetimes (closed mid-connect, closed without blocking) against a real loopback socket.
    /// </summary>
    public static class GameCoreTests
    {
        const int SR = 8000, FPS = 50, SPF = SR / FPS;

        public static void Run(string vectorsDir)
        {
            SpatialTests();
            PauseTests();
            HeardClockTests();
            FaceGateTests();
            MicWatchTests();
            HeadPoseTests();
            RequestQueueTests();
            VoiceChoiceTests();
            LifetimeTests(vectorsDir);
        }

        static byte[] Pcm(int n, Func<int, short> f)
        {
            var b = new byte[2 * n];
            for (int i = 0; i < n; i++) { short v = f(i); b[2 * i] = (byte)v; b[2 * i + 1] = (byte)(v >> 8); }
            return b;
        }

        /// <summary>Sample value of the ramp used below at timeline position p.</summary>
        static short Ramp(long p) { return (short)(1 + p % 30000); }

        static void AddRamp(Timeline tl, string utt, long from, int n)
        {
            tl.AddAudio(utt, from, Pcm(n, i => Ramp(from + i)), 0, 2 * n);
        }

        static void AddFrames(Timeline tl, string utt, long from, long to)
        {
            for (long s = from; s <= to; s += SPF) tl.AddFrame(utt, s / SPF, s, new[] { s / (float)SR });
        }

        // ------------------------------------------------------------------ 1: 3-D voice

        static void SpatialTests()
        {
            T.Run("spatial: ModulateAudio multiplies each channel's gain by the voice (panning kept)", () =>
            {
                var tl = new Timeline(SR, FPS, 1, 0, 2);
                AddRamp(tl, "u1", 0, 1000);
                AddFrames(tl, "u1", 0, 1000);
                // what Unity hands the filter: the constant-1.0 clip, already panned (left 0.25, right 0.75)
                var buf = new float[2 * 1000];
                for (int i = 0; i < 1000; i++) { buf[2 * i] = 0.25f; buf[2 * i + 1] = 0.75f; }
                T.Eq(1000, tl.ModulateAudio(buf, 0, 1000, 2), "played");
                for (int i = 0; i < 1000; i++)
                {
                    float v = Ramp(i) / 32768f;
                    T.Eq(0.25f * v, buf[2 * i], "left at " + i);
                    T.Eq(0.75f * v, buf[2 * i + 1], "right at " + i);
                }
            });
            T.Run("spatial: ModulateAudio clears the constant clip where the timeline is silent", () =>
            {
                var tl = new Timeline(SR, FPS, 1, 800, 2);
                var buf = Enumerable.Repeat(1f, 2 * 256).ToArray();
                T.Eq(0, tl.ModulateAudio(buf, 0, 256, 2), "no media");
                T.Check(buf.All(x => x == 0f), "no media: silence, not the 1.0 clip");
                AddRamp(tl, "u1", 0, 400);   // under the pre-roll
                buf = Enumerable.Repeat(1f, 2 * 256).ToArray();
                T.Eq(0, tl.ModulateAudio(buf, 0, 256, 2), "pre-roll");
                T.Check(buf.All(x => x == 0f), "pre-roll: silence");
                AddRamp(tl, "u1", 400, 600);
                buf = Enumerable.Repeat(1f, 2 * 1200).ToArray();
                T.Eq(1000, tl.ModulateAudio(buf, 0, 1200, 2), "plays what is there");
                T.Check(buf.Skip(2000).All(x => x == 0f), "underrun tail: silence");
            });
        }

        // ------------------------------------------------------------------ 10: pause

        static void PauseTests()
        {
            T.Run("pause: holds position and face, resumes at the same sample in order with no jump, lag dropped at the next idle", () =>
            {
                var tl = new Timeline(SR, FPS, 1, 800, 2) { MaxBacklogSamples = 2000 };
                AddRamp(tl, "u1", 0, 2000);
                AddFrames(tl, "u1", 0, 2000);
                var buf = new float[500];
                T.Eq(500, tl.ReadAudio(buf, 0, 500, 1), "plays");
                T.Eq(500, tl.ReadAudio(buf, 0, 500, 1), "plays");
                var face = new float[1];
                tl.FaceAt(1000, face);
                float heldFace = face[0];
                tl.Pause();
                AddRamp(tl, "u1", 2000, 6000);            // the daemon's clock runs on while the game is paused
                AddFrames(tl, "u1", 2000 + SPF, 8000);
                for (int k = 0; k < 20; k++)
                {
                    T.Eq(0, tl.ReadAudio(buf, 0, 500, 1), "paused: nothing played");
                    T.Check(buf.All(x => x == 0f), "paused: silence");
                }
                T.Eq(1000L, tl.PlayedSample, "position held");
                T.Eq(0L, tl.Underruns, "a pause is not an underrun");
                T.Eq(0L, tl.UnderrunRunSamples, "no underrun run (the face does not ease to rest)");
                tl.FaceAt(tl.PlayedSample, face);
                T.Eq(heldFace, face[0], "face held with the audio");
                T.Check(!tl.CatchUpIfIdle(), "no idle catch-up while paused");
                T.Check(tl.BufferedSamples > tl.MaxBacklogSamples, "the backlog is over the jump-to-live bound");
                T.Check(!tl.PauseOverflowing, "within the ring");
                tl.Resume();
                long pos = 1000;
                while (pos < 8000)
                {
                    int n = tl.ReadAudio(buf, 0, 500, 1);
                    T.Eq(500, n, "normal speed after resume (no burst: one block per callback) at " + pos);
                    for (int i = 0; i < n; i++) T.Eq(Ramp(pos + i) / 32768f, buf[i], "sample " + (pos + i) + " in order");
                    pos += n;
                }
                T.Eq(0L, tl.Resyncs, "nothing skipped");
                // the daemon's clock ran on during the pause: idle time after the line is the extra lag
                AddFrames(tl, null, 8000 + SPF, 8000 + 6000);
                T.Check(tl.CatchUpIfIdle(), "extra lag dropped at the next idle moment");
                tl.ReadAudio(buf, 0, 500, 1);
                T.Eq(1L, tl.Resyncs, "one skip of idle time");
                T.Eq((long)tl.PreRollSamples, tl.BufferedEnd - tl.PlayedSample + 500, "lag back to the pre-roll");
            });
            T.Run("pause: control: the same backlog without a pause (a stalled audio thread) jumps to live", () =>
            {
                var tl = new Timeline(SR, FPS, 1, 800, 2) { MaxBacklogSamples = 2000 };
                AddRamp(tl, "u1", 0, 2000);
                var buf = new float[500];
                tl.ReadAudio(buf, 0, 500, 1);
                tl.ReadAudio(buf, 0, 500, 1);
                AddRamp(tl, "u1", 2000, 6000);
                T.Eq(500, tl.ReadAudio(buf, 0, 500, 1), "reads");
                T.Eq(1L, tl.Resyncs, "jumped");
            });
            T.Run("pause: longer than the ring: overflowing is reported; giving up the place resumes at live", () =>
            {
                var tl = new Timeline(SR, FPS, 1, 800, 2) { MaxBacklogSamples = 2000 };
                AddRamp(tl, "u1", 0, 2000);
                var buf = new float[500];
                tl.ReadAudio(buf, 0, 500, 1);
                tl.Pause();
                long end = 2000;
                while (!tl.PauseOverflowing && end < 40000) { AddRamp(tl, "u1", end, 500); end += 500; }
                T.Check(tl.PauseOverflowing, "reported");
                T.Check(tl.BufferedSamples < tl.CapacitySamples, "before any unplayed audio was overwritten");
                tl.GiveUpPlace();
                T.Check(!tl.PauseOverflowing, "reported once per pause");
                tl.Resume();
                tl.ReadAudio(buf, 0, 500, 1);
                T.Eq(1L, tl.Resyncs, "jumped to live");
                T.Check(tl.BufferedSamples <= 800, "at the pre-roll");
            });
        }

        // ------------------------------------------------------------------ heard position

        static void HeardClockTests()
        {
            T.Run("heard clock: behind the read position by the output latency, never backwards across a pause", () =>
            {
                var tl = new Timeline(SR, FPS, 1, 400, 2);
                AddRamp(tl, "u1", 0, 8000);
                var clock = new HeardClock { OutputLatencySamples = 800 };
                var buf = new float[200];
                double t = 0;
                long last = 0;
                var seen = new List<long>();
                Action step = () =>
                {
                    tl.ReadAudio(buf, 0, 200, 1);
                    for (int k = 0; k < 4; k++)
                    {
                        long h = clock.Heard(tl, t);
                        T.Check(h >= last, "monotonic: " + h + " after " + last);
                        T.Check(h <= tl.PlayedSample, "never past what was read");
                        last = h; seen.Add(h);
                        t += 200.0 / SR / 4;
                    }
                };
                for (int i = 0; i < 10; i++) step();
                T.Check(last >= 2000 - 800 && last <= 2000, "heard within one latency behind the read position: " + last);
                tl.Pause();
                for (int i = 0; i < 10; i++) step();
                T.Eq(tl.PlayedSample, last, "paused: the queued output drains to the read position, then holds");
                long held = last;
                tl.Resume();
                step();
                T.Eq(held, last, "first buffer after resume: still behind the silence played while paused; held, not stepped back");
                for (int i = 0; i < 10; i++) step();
                T.Check(last > held, "advances again");
            });
        }

        // ------------------------------------------------------------------ 10: distance / off-screen

        static void FaceGateTests()
        {
            T.Run("face gate: off-screen skips, far applies every Nth frame, and the face keeps its place", () =>
            {
                var g = new FaceUpdateGate { SkipWhenInvisible = true, FarDistance = 20f, FarFrameInterval = 4 };
                T.Check(g.ShouldApply(true, 5f), "near and visible");
                T.Check(!g.ShouldApply(false, 5f), "invisible");
                var far = Enumerable.Range(0, 8).Select(_ => g.ShouldApply(true, 50f)).ToArray();
                T.Eq(2, far.Count(x => x), "far: 2 of 8 frames");
                T.Check(far[0] && far[4], "every 4th");
                T.Check(new FaceUpdateGate().ShouldApply(false, 1e6f), "defaults never skip");
                // Skipped frames lose nothing: the face is read at the heard sample when applied.
                var tl = new Timeline(SR, FPS, 1, 0, 2);
                AddFrames(tl, "u1", 0, 4000);
                var a = new float[1];
                var g2 = new FaceUpdateGate { FarDistance = 1f, FarFrameInterval = 3 };
                for (long heard = 0; heard < 4000; heard += 133)
                {
                    if (!g2.ShouldApply(true, 10f)) continue;
                    tl.FaceAt(heard, a);
                    T.Check(Math.Abs(heard / (float)SR - a[0]) < 1e-5, "face of the moment at " + heard + ": " + a[0]);
                }
            });
        }

        // ------------------------------------------------------------------ 4: microphone

        static void MicWatchTests()
        {
            T.Run("mic watch: no device waits; plugged in starts; a failed start retries with back-off", () =>
            {
                var w = new MicDeviceWatch { RetrySeconds = 1, MaxRetrySeconds = 4, PollSeconds = 0.5 };
                var states = new List<string>();
                w.Changed += (s, d) => states.Add(s + ": " + d);
                w.Enable(0);
                T.Check(w.WantsDeviceList(0), "polls at once");
                T.Eq(MicAction.None, w.Tick(0, true, new string[0], false, 0), "no device: nothing to start");
                T.Eq(MicState.WaitingForDevice, w.State, "waiting");
                T.Check(w.Detail.Contains("no microphone"), w.Detail);
                T.Check(!w.WantsDeviceList(0.2), "not every frame");
                T.Eq(MicAction.None, w.Tick(0.2, true, null, false, 0), "between polls");
                T.Check(w.WantsDeviceList(0.5), "polls again");
                T.Eq(MicAction.Start, w.Tick(0.5, true, new[] { "USB mic" }, false, 0), "plugged in: start");
                w.Started(false, "Couldn't acquire device ID for device name ", 0.5);   // Microphone.Start threw
                T.Eq(MicState.WaitingForDevice, w.State, "waiting after a failure");
                T.Check(w.Detail.Contains("could not start") && w.Detail.Contains("retry in 1"), w.Detail);
                T.Eq(MicAction.None, w.Tick(1.0, true, new[] { "USB mic" }, false, 0), "not before the retry time");
                T.Eq(MicAction.Start, w.Tick(1.5, true, null, false, 0), "retry after 1 s");
                w.Started(false, "again", 1.5);
                T.Eq(MicAction.None, w.Tick(3.0, true, null, false, 0), "back-off doubled");
                T.Eq(MicAction.Start, w.Tick(3.5, true, null, false, 0), "retry after 2 s");
                w.Started(true, null, 3.5);
                T.Eq(MicState.Recording, w.State, "recording");
                T.Eq(1, w.Starts, "one start");
                T.Check(states.Count >= 4 && states.Last().StartsWith("Recording"), string.Join(" | ", states));
            });
            T.Run("mic watch: unplugged while recording stops; plugged back resumes at once", () =>
            {
                var w = new MicDeviceWatch { Device = "Headset", RetrySeconds = 1, PollSeconds = 0.5 };
                w.Enable(0);
                T.Eq(MicAction.None, w.Tick(0, true, new[] { "Built-in" }, false, 0), "named device absent");
                T.Check(w.Detail.Contains("\"Headset\" is not connected"), w.Detail);
                T.Eq(MicAction.Start, w.Tick(0.5, true, new[] { "Built-in", "Headset" }, false, 0), "it appears");
                w.Started(true, null, 0.5);
                int pos = 0; double t = 0.5;
                for (int i = 0; i < 10; i++) { t += 0.1; pos += 800; T.Eq(MicAction.None, w.Tick(t, true, w.WantsDeviceList(t) ? new[] { "Built-in", "Headset" } : null, true, pos), "records"); }
                t += 0.5;
                T.Eq(MicAction.Stop, w.Tick(t, true, new[] { "Built-in" }, true, pos + 800), "unplugged: stop");
                T.Check(w.Detail.Contains("unplugged"), w.Detail);
                for (int i = 0; i < 30; i++) { t += 0.5; T.Eq(MicAction.None, w.Tick(t, true, new[] { "Built-in" }, false, 0), "waits while absent"); }
                t += 0.5;
                T.Eq(MicAction.Start, w.Tick(t, true, new[] { "Built-in", "Headset" }, false, 0), "plugged back: start at once");
                w.Started(true, null, t);
                T.Eq(2, w.Starts, "resumed");
                T.Eq(MicState.Recording, w.State, "recording again");
            });
            T.Run("mic watch: a recording that stops or stalls is restarted; permission is asked once", () =>
            {
                var w = new MicDeviceWatch { RetrySeconds = 1, StallSeconds = 2, PollSeconds = 100 };
                w.Enable(0);
                T.Eq(MicAction.RequestPermission, w.Tick(0, false, new[] { "Mic" }, false, 0), "asks");
                T.Eq(MicState.WaitingForPermission, w.State, "waits");
                T.Eq(MicAction.None, w.Tick(1, false, null, false, 0), "asks once");
                T.Eq(MicAction.Start, w.Tick(2, true, null, false, 0), "granted: start");
                w.Started(true, null, 2);
                T.Eq(MicAction.None, w.Tick(3, true, null, true, 100), "moving");
                T.Eq(MicAction.None, w.Tick(4.9, true, null, true, 100), "still within the stall time");
                T.Eq(MicAction.Stop, w.Tick(5.1, true, null, true, 100), "stalled: stop");
                T.Check(w.Detail.Contains("no audio"), w.Detail);
                T.Eq(MicAction.Start, w.Tick(6.1, true, null, false, 0), "retried");
                w.Started(true, null, 6.1);
                T.Eq(MicAction.Stop, w.Tick(6.2, true, null, false, 0), "the engine says it stopped recording");
                w.Disable();
                T.Eq(MicState.Off, w.State, "off");
                T.Eq(MicAction.None, w.Tick(9, true, new[] { "Mic" }, false, 0), "nothing while off");
            });
        }

        // ------------------------------------------------------------------ 11: head and eyes

        static float[] Rotate(float[] q, float x, float y, float z)
        {
            // v' = q v q*, the rotation Unity's Quaternion * Vector3 applies
            var v = new[] { x, y, z, 0f }; var qc = new[] { -q[0], -q[1], -q[2], q[3] };
            var t = new float[4]; var r = new float[4];
            HeadPose.Multiply(q, v, t); HeadPose.Multiply(t, qc, r);
            return new[] { (float)Math.Round(r[0], 5), (float)Math.Round(r[1], 5), (float)Math.Round(r[2], 5) };
        }

        static void HeadPoseTests()
        {
            const float H = (float)(Math.PI / 2);
            T.Run("head pose: default axes: +yaw turns left, +pitch looks down, roll applied first", () =>
            {
                var q = new float[4];
                HeadPose.Compose(H, 0, 0, BoneAxis.MinusY, BoneAxis.PlusX, BoneAxis.MinusZ, q);
                T.Check(Rotate(q, 0, 0, 1).SequenceEqual(new[] { -1f, 0f, 0f }), "yaw +90: forward -> left (-X)");
                HeadPose.Compose(0, H, 0, BoneAxis.MinusY, BoneAxis.PlusX, BoneAxis.MinusZ, q);
                T.Check(Rotate(q, 0, 0, 1).SequenceEqual(new[] { 0f, -1f, 0f }), "pitch +90: forward -> down");
                HeadPose.Compose(H, H, 0, BoneAxis.MinusY, BoneAxis.PlusX, BoneAxis.MinusZ, q);
                T.Check(Rotate(q, 0, 1, 0).SequenceEqual(new[] { -1f, 0f, 0f }), "pitch then yaw (Quaternion.Euler order): up -> left");
            });
            T.Run("head pose: axis remap (a +Z-up rig turns about Z)", () =>
            {
                var q = new float[4];
                HeadPose.Compose(H, 0, 0, BoneAxis.PlusZ, BoneAxis.PlusX, BoneAxis.PlusY, q);
                T.Check(Rotate(q, 1, 0, 0).SequenceEqual(new[] { 0f, 1f, 0f }), "yaw about +Z: +X -> +Y");
                HeadPose.Compose(0, 0, H, BoneAxis.PlusZ, BoneAxis.PlusX, BoneAxis.PlusY, q);
                T.Check(Rotate(q, 1, 0, 0).SequenceEqual(new[] { 0f, 0f, -1f }), "roll about +Y");
            });
            T.Run("head pose: additive on a bone no clip writes does not accumulate (cached base pose)", () =>
            {
                var pose = new BasePose();
                var bone = new[] { 0f, 0f, 0f, 1f };        // rest; nothing animates it
                var delta = new float[4]; var b = new float[4];
                HeadPose.Compose(0.1f, 0, 0, BoneAxis.MinusY, BoneAxis.PlusX, BoneAxis.MinusZ, delta);
                for (int frame = 0; frame < 100; frame++)
                {
                    pose.Resolve(bone, b);
                    var written = new float[4];
                    HeadPose.Multiply(b, delta, written);
                    pose.Wrote(written);
                    bone = written;                           // the transform keeps what was written
                }
                T.Check(HeadPose.Same(bone, delta), "after 100 frames the bone is base · delta, not base · delta^100");
            });
            T.Run("head pose: additive on an animated bone follows the animation", () =>
            {
                var pose = new BasePose();
                var delta = new float[4]; var b = new float[4]; var anim = new float[4];
                HeadPose.Compose(0.1f, 0, 0, BoneAxis.MinusY, BoneAxis.PlusX, BoneAxis.MinusZ, delta);
                for (int frame = 0; frame < 20; frame++)
                {
                    HeadPose.AxisAngle(BoneAxis.PlusX, 0.02f * frame, anim);   // the clip writes a new pose each frame
                    pose.Resolve(anim, b);
                    T.Check(HeadPose.Same(b, anim), "base is the animated pose at frame " + frame);
                    var written = new float[4];
                    HeadPose.Multiply(b, delta, written);
                    pose.Wrote(written);
                }
            });
        }

        // ------------------------------------------------------------------ controls: Say before connect

        static void RequestQueueTests()
        {
            T.Run("say before connect: queued in order, a cancelled one is not sent, sent once the session opens", () =>
            {
                var q = new RequestQueue { Capacity = 3 };
                T.Check(q.Add("s1", c => c.Say("Hello.", utt: "s1")), "queued");
                T.Check(q.Add("s2", c => c.Say("Bye.", utt: "s2")), "queued");
                T.Check(q.Add("s3", c => c.Say("Again.", utt: "s3")), "queued");
                T.Check(!q.Add("s4", c => c.Say("Too many.", utt: "s4")), "bounded");
                T.Check(q.Remove("s2").SequenceEqual(new[] { "s2" }), "cancel before connect");
                T.Check(!q.Contains("s2") && q.Contains("s3"), "contains");
                var client = new FacePlexClient();
                T.Eq(2, q.Flush(client), "flushed");
                T.Eq(0, q.Count, "empty");
                var sent = client.Session.DataToSend().Select(b => Codec.Decode(b)).OfType<Say>().ToList();
                T.Check(sent.Select(s => s.Utt + ":" + s.Text).SequenceEqual(new[] { "s1:Hello.", "s3:Again." }),
                        string.Join(",", sent.Select(s => s.Utt)));
                client.Dispose();
            });
        }

        // ------------------------------------------------------------------ issue 19: the voice picker

        static void VoiceChoiceTests()
        {
            var known = new[] { "en_US-joe-medium", "af_bella", "am_adam" };
            T.Run("voice picker: default, known voices, custom; the value follows the pick; blends stay free text", () =>
            {
                var c = new VoiceChoices(known, "");
                T.Check(c.Options.SequenceEqual(new[] { VoiceChoices.DefaultLabel, "en_US-joe-medium", "af_bella", "am_adam", VoiceChoices.CustomLabel }), string.Join("|", c.Options));
                T.Eq(0, c.Selected, "empty = daemon default");
                T.Eq(2, new VoiceChoices(known, "af_bella").Selected, "a known voice");
                T.Eq(4, new VoiceChoices(known, "af_bella*0.6+am_adam*0.4").Selected, "a blend shows as custom");
                T.Eq(1, new VoiceChoices(null, "en_US-joe-medium").Selected, "no list yet: custom (the last of two)");
                T.Eq("am_adam", c.ValueFor(3, ""), "pick a voice");
                T.Eq("", c.ValueFor(0, "am_adam"), "pick the default");
                T.Eq("af_bella*0.6+am_adam*0.4", c.ValueFor(4, "af_bella*0.6+am_adam*0.4"), "custom keeps the typed text");
                var labels = new[] { "en_US-joe-medium", VoiceChoices.Label("af_bella", "en-US", "female", "American"), VoiceChoices.Label("am_adam", "en-US", "male", null) };
                var l = new VoiceChoices(known, "af_bella", labels);
                T.Eq("af_bella (en-US, female, American)", l.Options[2], "catalogue label shown");
                T.Eq("am_adam (en-US, male)", l.Options[3], "null parts left out");
                T.Eq(2, l.Selected, "selected by id");
                T.Eq("am_adam", l.ValueFor(3, ""), "the value is the id, not the label");
            });
            T.Run("voice picker: blend syntax and unknown voices are flagged; valid ones pass", () =>
            {
                T.Eq((string)null, VoiceChoices.Check("af_bella*0.6+am_adam*0.4", known), "valid blend");
                T.Eq((string)null, VoiceChoices.Check("am_adam", known), "plain voice");
                T.Eq((string)null, VoiceChoices.Check("zz_other*2+yy*1", new string[0]), "no list yet: syntax only");
                T.Check(VoiceChoices.Check("af_bella*0+am_adam*1", known).Contains("weight > 0"), "zero weight");
                T.Check(VoiceChoices.Check("af_bella*x", known).Contains("weight > 0"), "not a number");
                T.Check(VoiceChoices.Check("af_bella++am_adam", known).Contains("empty voice"), "empty part");
                T.Check(VoiceChoices.Check("af_bella*0.5+bm_nobody*0.5", known).Contains("bm_nobody"), "unknown part named");
            });
        }

        // ------------------------------------------------------------------ 5: lifetimes

        /// <summary>A minimal WebSocket server on loopback (RFC 6455 handshake and framing) that says welcome
        /// and then does only what the test tells it: enough to hold a real ClientWebSocket open.</summary>
        sealed class TinyServer : IDisposable
        {
            readonly TcpListener _l = new TcpListener(IPAddress.Loopback, 0);
            TcpClient _c;
            public NetworkStream S;
            public int Port;
            public TinyServer() { _l.Start(); Port = ((IPEndPoint)_l.LocalEndpoint).Port; }
            public Task<TcpClient> Accept() { return _l.AcceptTcpClientAsync(); }

            public void Upgrade(TcpClient c, byte[] welcome)
            {
                _c = c; S = c.GetStream();
                var head = new StringBuilder();
                while (!head.ToString().EndsWith("\r\n\r\n")) { int b = S.ReadByte(); if (b < 0) throw new IOException("eof"); head.Append((char)b); }
                var key = head.ToString().Split(new[] { "\r\n" }, StringSplitOptions.None)
                    .First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase)).Substring(18).Trim();
                string accept;
                using (var sha = SHA1.Create())
                    accept = Convert.ToBase64String(sha.ComputeHash(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
                var resp = Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n");
                S.Write(resp, 0, resp.Length);
                ReadFrame();          // hello
                Send(2, welcome);
            }

            public void Send(int opcode, byte[] payload)
            {
                var f = new List<byte> { (byte)(0x80 | opcode) };
                if (payload.Length < 126) f.Add((byte)payload.Length);
                else { f.Add(126); f.Add((byte)(payload.Length >> 8)); f.Add((byte)payload.Length); }
                f.AddRange(payload);
                S.Write(f.ToArray(), 0, f.Count);
            }

            byte[] Exactly(int n)
            {
                var b = new byte[n]; int got = 0;
                while (got < n) { int k = S.Read(b, got, n - got); if (k <= 0) throw new IOException("eof"); got += k; }
                return b;
            }

            /// <summary>Reads one client frame (masked): (opcode, payload).</summary>
            public KeyValuePair<int, byte[]> ReadFrame()
            {
                var h = Exactly(2);
                long len = h[1] & 0x7f;
                if (len == 126) { var e = Exactly(2); len = (e[0] << 8) | e[1]; }
                else if (len == 127) { var e = Exactly(8); len = 0; for (int i = 0; i < 8; i++) len = (len << 8) | e[i]; }
                var mask = Exactly(4);
                var p = Exactly((int)len);
                for (int i = 0; i < p.Length; i++) p[i] ^= mask[i % 4];
                return new KeyValuePair<int, byte[]>(h[0] & 0x0f, p);
            }

            public void Dispose() { try { if (_c != null) _c.Close(); } catch (Exception) { } _l.Stop(); }
        }

        static void LifetimesGuard(Task t, string what)
        {
            // a hang guard only (a broken close would otherwise hang the run); nothing is timed
            if (!t.Wait(TimeSpan.FromMinutes(2)) && !t.IsCompleted) throw new Exception(what + " never completed");
        }

        static void LifetimeTests(string vectorsDir)
        {
            var welcome = File.ReadAllBytes(Path.Combine(vectorsDir, "welcome.msgpack"));
            T.Run("lifetime: a client closed mid-connect ends the connect (ObjectDisposedException) and aborts the socket the daemon opens later", () =>
            {
                using (var server = new TinyServer())
                {
                    var accepted = server.Accept();
                    var client = new FacePlexClient();
                    var connect = client.ConnectAsync(new Uri("ws://127.0.0.1:" + server.Port + "/"), timeoutMs: 600000);
                    LifetimesGuard(accepted, "accept");
                    var stream = accepted.Result.GetStream();
                    var head = new StringBuilder();
                    while (!head.ToString().EndsWith("\r\n\r\n")) head.Append((char)stream.ReadByte());   // the upgrade request
                    client.Dispose();                      // the character was destroyed while connecting
                    try { LifetimesGuard(connect, "connect"); } catch (AggregateException) { }
                    T.Eq(TaskStatus.Faulted, connect.Status, "connect task");
                    T.Check(connect.Exception.InnerException is ObjectDisposedException, "ObjectDisposedException, got " + connect.Exception.InnerException.GetType().Name);
                    T.Check(client.Closed.IsCompleted, "Closed completed");
                    // the daemon answers the upgrade after the client gave up: the client must not keep that socket
                    var key = head.ToString().Split(new[] { "\r\n" }, StringSplitOptions.None)
                        .First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase)).Substring(18).Trim();
                    string accept;
                    using (var sha = SHA1.Create())
                        accept = Convert.ToBase64String(sha.ComputeHash(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
                    var resp = Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n");
                    stream.Write(resp, 0, resp.Length);
                    var sink = new byte[4096];
                    var reading = Task.Run(() =>
                    {
                        try { while (stream.Read(sink, 0, sink.Length) > 0) { } return 0; }
                        catch (IOException) { return 0; }   // reset by the abort: closed too
                    });
                    LifetimesGuard(reading, "socket close");
                    T.Eq(0, reading.Result, "the client closed the socket");
                    accepted.Result.Close();
                }
            });
            T.Run("lifetime: Dispose of an open client returns before the close; queued messages and the close frame follow", () =>
            {
                using (var server = new TinyServer())
                {
                    var accepted = server.Accept();
                    var client = new FacePlexClient { CloseTimeoutMs = 600000 };
                    int disconnects = 0;
                    client.Disconnected += e => Interlocked.Increment(ref disconnects);
                    var connect = client.ConnectAsync(new Uri("ws://127.0.0.1:" + server.Port + "/"), timeoutMs: 600000);
                    LifetimesGuard(accepted, "accept");
                    server.Upgrade(accepted.Result, welcome);
                    LifetimesGuard(connect, "connect");
                    T.Check(client.IsOpen, "open");
                    client.Session.Say("last words", "u9");   // queued, not yet flushed
                    client.Dispose();                          // scene unload: must not wait on the daemon
                    T.Check(!client.Closed.IsCompleted, "Dispose returned while the close is still in progress (the daemon has not answered)");
                    var frames = new List<KeyValuePair<int, byte[]>>();
                    while (true) { var f = server.ReadFrame(); frames.Add(f); if (f.Key == 8) break; }
                    var says = frames.Where(f => f.Key == 2).Select(f => Codec.Decode(f.Value)).OfType<Say>().ToList();
                    T.Check(says.Any(s => s.Utt == "u9"), "the queued say was flushed before the close");
                    T.Eq(8, frames.Last().Key, "then a close frame");
                    server.Send(8, new byte[] { 0x03, 0xe8 });  // the daemon answers the close
                    LifetimesGuard(client.Closed, "close");
                    T.Eq(1, Volatile.Read(ref disconnects), "Disconnected raised once");
                    T.Check(!client.IsOpen, "closed");
                }
            });
            T.Run("pause: a client paused past its ring cancels its utterances once and gives up its place", () =>
            {
                using (var server = new TinyServer())
                {
                    var accepted = server.Accept();
                    var client = new FacePlexClient { ReportIntervalMs = 20 };
                    var connect = client.ConnectAsync(new Uri("ws://127.0.0.1:" + server.Port + "/"), timeoutMs: 600000);
                    LifetimesGuard(accepted, "accept");
                    server.Upgrade(accepted.Result, welcome);
                    LifetimesGuard(connect, "connect");
                    var tl = client.Timeline;
                    tl.Pause();
                    // the daemon's clock runs on: 30000 samples per message at 48 kHz until the ring is nearly full
                    int seq = 0; long sample = 0;
                    var pcm = new byte[60000];
                    while (sample < tl.CapacitySamples - 48000 + 30000)
                    {
                        server.Send(2, Codec.Encode(new AudioChunk { Utt = "u1", Seq = seq++, Sample = sample, Pcm = pcm }));
                        sample += 30000;
                    }
                    var cancels = new List<Cancel>();
                    while (cancels.Count == 0)
                    {
                        var f = server.ReadFrame();
                        if (f.Key == 2) { var m = Codec.Decode(f.Value); if (m is Cancel) cancels.Add((Cancel)m); }
                    }
                    T.Eq((string)null, cancels[0].Utt, "cancel of every utterance");
                    T.Check(!tl.PauseOverflowing, "given up: reported once");
                    // no second cancel: let the report loop (every 20 ms) run a while, then close and read
                    // everything up to the close frame (a bounded read: the close ends it)
                    Thread.Sleep(300);
                    tl.Resume();
                    var buf = new float[480];
                    tl.ReadAudio(buf, 0, 480, 1);
                    T.Eq(1L, tl.Resyncs, "resumed at live");
                    client.Dispose();
                    while (true)
                    {
                        var f = server.ReadFrame();
                        if (f.Key == 8) break;
                        T.Check(!(f.Key == 2 && Codec.Decode(f.Value) is Cancel), "a single cancel");
                    }
                }
            });
        }
    }
}
