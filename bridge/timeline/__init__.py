"""Speech placed on a session's sample axis: utterances, their clauses and marks, when to start.

In: timed speech pieces (:class:`~faceplex.models.speech.contract.SpeechChunk`). Out: clauses at
the session's rate with sample positions (audio, phones, word marks). May use: ``models`` only.
"""
