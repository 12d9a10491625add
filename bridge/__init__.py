"""FacePlex's daemon side, laid out along the data path (ARCHITECTURE.md):

``server`` (connections) -> ``session`` (one per client: routing, pacing) -> ``speaking``
(synthesis) and ``listening`` (microphone, external audio) -> ``timeline`` (speech on the sample
axis) -> ``outputs`` (takes, Live Link UDP). At the top: ``cli`` (the ``faceplex`` command),
``client`` (the reference protocol client) and ``demo``.
"""
