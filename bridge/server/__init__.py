"""The daemon's front door: the WebSocket server, who may connect, and an orderly shutdown.

In: TCP connections on loopback (WebSocket handshakes, plain HTTP GETs for the preview page in
``static/``). Out: one :class:`~faceplex.bridge.session.session.Session` per admitted client;
the ready line on stdout. May use: ``session``, ``speaking``, ``listening`` (start and close
their worker pools), ``outputs`` (the Live Link Face UDP sink).
"""
