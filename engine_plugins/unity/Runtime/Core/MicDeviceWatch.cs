using System;

namespace FacePlex.Core
{
    /// <summary>State of the player's microphone (<see cref="MicDeviceWatch"/>).</summary>
    public enum MicState
    {
        /// <summary>Not wanted (disabled, or stopped by the game).</summary>
        Off,
        /// <summary>Waiting for the platform's microphone permission.</summary>
        WaitingForPermission,
        /// <summary>Wanted but not recording: no device, the named device is absent (unplugged), or starting
        /// it failed; retried on a timer and at once when the device list changes (plugged in).</summary>
        WaitingForDevice,
        /// <summary>Recording.</summary>
        Recording,
    }

    /// <summary>What the engine glue must do after <see cref="MicDeviceWatch.Tick"/>.</summary>
    public enum MicAction { None, RequestPermission, Start, Stop }

    /// <summary>
    /// The microphone's retry/resume state machine, engine-free (Unity's <c>FacePlexMicrophone</c> drives
    /// it from Update; the tests drive it with a fake clock and device lists). The glue reports what it
    /// sees (permission, the device list, whether the device records and where its write position is) and
    /// does what <see cref="Tick"/> returns; it reports each start with <see cref="Started"/>.
    /// <list type="bullet">
    /// <item>No device, or the named one absent: wait; poll the device list every <see cref="PollSeconds"/>.</item>
    /// <item>A start that fails (Unity's <c>Microphone.Start</c> throws ArgumentException when the device
    /// cannot be resolved: UnityCsReference 2021.3 Modules/Audio/Public/ScriptBindings/Audio.bindings.cs:1202-1207)
    /// is retried after <see cref="RetrySeconds"/>, doubling up to <see cref="MaxRetrySeconds"/>.</item>
    /// <item>While recording, the device is lost when it leaves the device list, when the engine says it
    /// no longer records, or when its write position has not moved for <see cref="StallSeconds"/>: stop, then
    /// wait; when it is back in the list (re-plugged) start again at once.</item>
    /// </list>
    /// Every change of state raises <see cref="Changed"/> with a one-line reason. Never throws.
    /// </summary>
    public sealed class MicDeviceWatch
    {
        /// <summary>First retry delay after a failed start, seconds.</summary>
        public double RetrySeconds = 1.0;
        /// <summary>Longest retry delay, seconds.</summary>
        public double MaxRetrySeconds = 8.0;
        /// <summary>Interval of device-list polls, seconds.</summary>
        public double PollSeconds = 0.5;
        /// <summary>A recording whose write position stands still this long is lost, seconds.</summary>
        public double StallSeconds = 2.0;
        /// <summary>The device wanted: a name from the device list, or null/empty for the system default.</summary>
        public string Device;

        private bool _wanted, _askedPermission, _present;
        private double _retryAt, _backoff, _nextPoll, _movedAt;
        private int _lastPosition = -1;
        private string[] _lastDevices;

        /// <summary>Current state.</summary>
        public MicState State { get; private set; }
        /// <summary>Why the state is what it is (one line; empty while recording normally).</summary>
        public string Detail { get; private set; }
        /// <summary>Recordings started (the first and every resume).</summary>
        public int Starts { get; private set; }
        /// <summary>Raised on every change of <see cref="State"/> or <see cref="Detail"/> (the caller's thread).</summary>
        public event Action<MicState, string> Changed;

        /// <summary>Creates a watch in <see cref="MicState.Off"/>.</summary>
        public MicDeviceWatch() { State = MicState.Off; Detail = ""; }

        /// <summary>The microphone is wanted from now on (<paramref name="now"/>, seconds): the next
        /// <see cref="Tick"/> polls the devices and starts one if it can.</summary>
        public void Enable(double now)
        {
            _wanted = true;
            _retryAt = now; _nextPoll = now; _backoff = RetrySeconds;
            if (State == MicState.Off) Set(MicState.WaitingForDevice, "starting");
        }

        /// <summary>Not wanted any more; the caller stops its recording.</summary>
        public void Disable()
        {
            _wanted = false;
            Set(MicState.Off, "");
        }

        /// <summary>True when the caller should read the device list for this <see cref="Tick"/>
        /// (Unity's <c>Microphone.devices</c> allocates a new array per read, so not every frame).</summary>
        public bool WantsDeviceList(double now) { return _wanted && now >= _nextPoll; }

        /// <summary>Whether <paramref name="devices"/> holds the wanted device (any device for the default).</summary>
        public bool IsPresent(string[] devices)
        {
            if (devices == null) return false;
            if (string.IsNullOrEmpty(Device)) return devices.Length > 0;
            return Array.IndexOf(devices, Device) >= 0;
        }

        /// <summary>
        /// One step at <paramref name="now"/> (seconds, monotonic). <paramref name="permitted"/>: the platform
        /// allows recording; <paramref name="devices"/>: the device list if read this step (see
        /// <see cref="WantsDeviceList"/>), else null; <paramref name="recording"/> and
        /// <paramref name="position"/>: the engine's view of the current recording (ignored unless
        /// <see cref="MicState.Recording"/>). Returns what the caller must do now.
        /// </summary>
        public MicAction Tick(double now, bool permitted, string[] devices, bool recording, int position)
        {
            if (!_wanted) return MicAction.None;
            bool listChanged = false;
            if (devices != null)
            {
                _nextPoll = now + PollSeconds;
                listChanged = _lastDevices != null && !Same(devices, _lastDevices);
                _lastDevices = (string[])devices.Clone();
                _present = IsPresent(devices);
            }
            if (!permitted)
            {
                var stop = State == MicState.Recording;
                Set(MicState.WaitingForPermission, "waiting for the microphone permission");
                if (!_askedPermission) { _askedPermission = true; return MicAction.RequestPermission; }
                return stop ? MicAction.Stop : MicAction.None;
            }
            if (State == MicState.WaitingForPermission) { Set(MicState.WaitingForDevice, "permission granted"); _retryAt = now; }

            if (State == MicState.Recording)
            {
                if (position != _lastPosition) { _lastPosition = position; _movedAt = now; }
                string lost = null;
                if (devices != null && !_present) lost = Name() + " was unplugged";
                else if (!recording) lost = Name() + " stopped recording";
                else if (now - _movedAt >= StallSeconds) lost = Name() + " delivered no audio for " + StallSeconds + " s";
                if (lost == null) return MicAction.None;
                Set(MicState.WaitingForDevice, lost);
                _backoff = RetrySeconds;
                _retryAt = now + RetrySeconds;
                return MicAction.Stop;
            }

            // WaitingForDevice
            if (!_present)
            {
                Set(MicState.WaitingForDevice, _lastDevices == null ? "looking for a microphone"
                    : string.IsNullOrEmpty(Device) ? "no microphone connected" : "microphone \"" + Device + "\" is not connected");
                return MicAction.None;
            }
            if (listChanged) _retryAt = now;   // plugged (back) in: try at once
            return now >= _retryAt ? MicAction.Start : MicAction.None;
        }

        /// <summary>The caller's start attempt at <paramref name="now"/>: <paramref name="ok"/>, or the
        /// <paramref name="error"/> it failed with (an exception's message).</summary>
        public void Started(bool ok, string error, double now)
        {
            if (ok)
            {
                Starts++;
                _backoff = RetrySeconds;
                _lastPosition = -1; _movedAt = now;
                Set(MicState.Recording, "");
                return;
            }
            _retryAt = now + _backoff;
            Set(MicState.WaitingForDevice, "could not start " + Name() + ": " + error + " (retry in " + _backoff + " s)");
            _backoff = Math.Min(_backoff * 2, MaxRetrySeconds);
        }

        private string Name() { return string.IsNullOrEmpty(Device) ? "the default microphone" : "microphone \"" + Device + "\""; }

        private static bool Same(string[] a, string[] b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
            return true;
        }

        private void Set(MicState s, string detail)
        {
            if (s == State && detail == Detail) return;
            State = s; Detail = detail ?? "";
            var h = Changed;
            if (h != null) h(s, Detail);
        }
    }
}
