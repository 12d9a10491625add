"""What leaves besides the WebSocket: takes on disk (WAV, Live Link Face CSV, PNG), offline bakes,
Live Link Face UDP packets.

In: clauses and face frames. Out: files and UDP datagrams. May use: ``timeline``, ``listening``.
"""
