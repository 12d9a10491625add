"""Text that is not English gets a `warning {code: language_not_supported}` and is spoken anyway;
English with foreign names, and short lines, do not (models/speech/language.py, real daemon)."""

from __future__ import annotations

import asyncio

import pytest

from faceplex.bridge.client import FacePlexClient
from faceplex.models.speech.language import detect_foreign
from faceplex.protocol import messages as m

from long_text import long_text

FOREIGN = [
    ("fr", "Bonjour, je voudrais un café s'il vous plaît."),
    ("fr", "Le chat est sur la table et il dort."),
    ("fr", "Nous allons au cinéma ce soir avec Pierre."),
    ("de", "Guten Tag, wie geht es Ihnen heute?"),
    ("de", "Ich habe keine Zeit, weil ich arbeiten muss."),
    ("de", "Was ist das denn?"),
    ("es", "¿Dónde está la biblioteca, por favor?"),
    ("es", "Me gustaría comer tacos esta noche con mis amigos."),
    ("es", "Vamos a la playa mañana por la mañana."),
    ("ru", "Привет, как дела?"),
    ("zh", "你好，今天天气很好。"),
]

ENGLISH = [
    "I met Jean-Pierre Dubois in Paris.",
    "Wojciech and Siobhan went to Reykjavik with Xiaoming.",
    "Nice to meet you, Señor García.",
    "Ask Björn Øster or Zoë Ngô.",
    "Visit Kraków, Göteborg and Málaga next summer.",
    "Tchaikovsky's Nutcracker is on at the Bolshoi.",
    "Let's grab a croissant at the café.",
    "C'est la vie, as they say.",
    "Bon voyage, my friend!",
    "Good morning, Mr. Nguyen.",
    "Hello there!", "Okay.", "Yes, absolutely!", "Sure thing.", "Watch out!", "Ready, set, go!",
    "Dogs bark loudly.", "Amazing views everywhere.", "I will call you tomorrow.",
]


@pytest.mark.parametrize("lang, text", FOREIGN)
def test_other_languages_are_detected(lang, text):
    found = detect_foreign(text)
    assert found is not None and found[0] == lang, found


@pytest.mark.parametrize("text", ENGLISH)
def test_english_with_foreign_names_and_short_lines_is_english(text):
    assert detect_foreign(text) is None


def test_a_long_english_take_never_warns():
    assert [t for t in long_text() if detect_foreign(t)] == []


def test_daemon_warns_and_speaks_anyway(daemon):
    async def go():
        async with FacePlexClient(daemon.url) as client:
            fr = await client.speak("Bonjour, je voudrais un café s'il vous plaît.")
            en = await client.speak("I met Jean-Pierre Dubois in Paris, near the Louvre.")
            warnings = [(i, r.msg) for i, r in enumerate(client.log) if isinstance(r.msg, m.Warning)]
            assert [(w.utt, w.reply_to, w.code) for _, w in warnings] == [(fr.utt, f"say-{fr.utt}", "language_not_supported")]
            assert "fr" in warnings[0][1].message
            # sent while the say was handled: before the utterance starts; then it is spoken in full
            started = next(i for i, r in enumerate(client.log)
                           if isinstance(r.msg, m.UtteranceStarted) and r.msg.utt == fr.utt)
            assert warnings[0][0] < started
            assert fr.outcome == "finished" and fr.end - fr.start > 22050 and en.outcome == "finished"
    asyncio.run(go())


def test_faceplex_say_warns_on_stderr_and_bakes_anyway(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "faceplex.bridge.cli", "say", "Guten Tag, wie geht es Ihnen heute?",
                          "-o", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "warning language_not_supported" in out.stderr and "'de'" in out.stderr
    assert (tmp_path / "take.wav").exists()
