using System;
using System.Collections.Generic;

namespace FacePlex.Core
{
    /// <summary>
    /// Requests made before the session is open (a <c>Say</c> in a scene's first frame), kept in order
    /// and sent once it opens, as Unreal's plugin does, instead of being dropped. Each entry belongs to an
    /// utterance id chosen by the caller, so a queued line can be cancelled before it is sent. Bounded:
    /// <see cref="Add"/> refuses beyond <see cref="Capacity"/>. Thread-safe.
    /// </summary>
    public sealed class RequestQueue
    {
        private readonly object _lock = new object();
        private readonly List<KeyValuePair<string, Action<FacePlexClient>>> _items = new List<KeyValuePair<string, Action<FacePlexClient>>>();

        /// <summary>Most requests kept.</summary>
        public int Capacity = 64;

        /// <summary>Requests waiting.</summary>
        public int Count { get { lock (_lock) return _items.Count; } }

        /// <summary>Queues <paramref name="send"/> for utterance <paramref name="utt"/>; false when full.</summary>
        public bool Add(string utt, Action<FacePlexClient> send)
        {
            if (send == null) throw new ArgumentNullException("send");
            lock (_lock)
            {
                if (_items.Count >= Capacity) return false;
                _items.Add(new KeyValuePair<string, Action<FacePlexClient>>(utt, send));
                return true;
            }
        }

        /// <summary>True when a request of <paramref name="utt"/> is waiting.</summary>
        public bool Contains(string utt)
        {
            lock (_lock) return _items.Exists(kv => kv.Key == utt);
        }

        /// <summary>Drops every waiting request of <paramref name="utt"/> (null: all); returns the utterance
        /// ids dropped, each once, in queue order.</summary>
        public List<string> Remove(string utt)
        {
            var gone = new List<string>();
            lock (_lock)
            {
                foreach (var kv in _items)
                    if ((utt == null || kv.Key == utt) && !gone.Contains(kv.Key)) gone.Add(kv.Key);
                _items.RemoveAll(kv => utt == null || kv.Key == utt);
            }
            return gone;
        }

        /// <summary>Sends everything waiting through <paramref name="client"/>, in the order it was queued;
        /// returns how many.</summary>
        public int Flush(FacePlexClient client)
        {
            List<KeyValuePair<string, Action<FacePlexClient>>> todo;
            lock (_lock) { todo = new List<KeyValuePair<string, Action<FacePlexClient>>>(_items); _items.Clear(); }
            foreach (var kv in todo) kv.Value(client);
            return todo.Count;
        }
    }
}
