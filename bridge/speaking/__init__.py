"""Speech synthesis for every session: bounded steps, earliest deadline first.

In: clause syntheses (:class:`~faceplex.models.speech.contract.ClauseSynthesis`) with deadlines.
Out: finished pieces handed back to the session's event loop. May use: ``models`` only.
"""
