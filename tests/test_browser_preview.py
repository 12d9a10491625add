"""The browser preview (bridge/server/static/) in a real headless Chromium against a real daemon.

Debian's /usr/bin/chromium is driven by playwright-core (tests/browser/, `npm ci --prefix
tests/browser`; this test runs it when node_modules is missing). The page loads from the daemon's
own port with no console error, connects over protocol v1, says a line typed into its text box,
plays it through an AudioWorklet whose playback position advances, and draws the face for the
sample being heard. Screenshots of the face at the most open `aa` frame and the most closed `PP`
frame must differ in mouth opening the way the weights say. One screenshot of the whole page is
kept as an artifact (tests/browser/artifacts/browser_preview.png, or $FACEPLEX_ARTIFACTS).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from conftest import DaemonProcess

HERE = Path(__file__).resolve().parent
BROWSER_DIR = HERE / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TEXT = "Papa, bob my mop."
# The face renderer's colour for the inside of the mouth (bridge/server/static/face.js COLORS.mouthInside).
MOUTH_INSIDE = (0x3A, 0x0C, 0x16)


def _need_browser() -> str:
    node = shutil.which("node")
    if not Path(CHROMIUM).exists() or node is None:
        pytest.skip(f"browser test needs {CHROMIUM} and node (CI installs them: apt-get install chromium nodejs npm)")
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("browser test needs npm to install playwright-core (npm ci --prefix tests/browser)")
        proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, f"npm ci failed:\n{proc.stdout}\n{proc.stderr}"
    return node


def _artifact_dir() -> Path:
    d = Path(os.environ.get("FACEPLEX_ARTIFACTS", BROWSER_DIR / "artifacts"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def mouth_opening_px(png: Path, region: dict) -> tuple[int, int]:
    """(rows, pixels) of the dark mouth-inside colour within ``region`` of a face screenshot."""
    from PIL import Image

    img = Image.open(png).convert("RGB")
    x0, y0 = int(region["x"]), int(region["y"])
    x1, y1 = x0 + int(region["width"]), y0 + int(region["height"])
    px = img.load()
    rows, count = set(), 0
    for y in range(max(0, y0), min(img.height, y1)):
        for x in range(max(0, x0), min(img.width, x1)):
            r, g, b = px[x, y]
            if abs(r - MOUTH_INSIDE[0]) <= 14 and abs(g - MOUTH_INSIDE[1]) <= 12 and abs(b - MOUTH_INSIDE[2]) <= 12:
                rows.add(y)
                count += 1
    return len(rows), count


def test_static_files_served():
    """The page, its scripts (JavaScript MIME type: module and worklet loads need it) and the
    vendored msgpack licence come from the daemon's port; nothing outside static/ is served."""
    d = DaemonProcess()
    try:
        base = f"http://127.0.0.1:{d.port}"

        def get(path):
            try:
                with urllib.request.urlopen(base + path, timeout=10) as r:
                    return r.status, r.headers.get("Content-Type", ""), r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.headers.get("Content-Type", ""), e.read()

        status, ctype, body = get("/")
        assert status == 200 and ctype.startswith("text/html") and b"FacePlex" in body
        for path in ("/app.js", "/face.js", "/curves.js", "/pcm-player.worklet.js", "/vendor/msgpack/msgpack.min.js"):
            status, ctype, body = get(path)
            assert status == 200 and ctype.startswith("text/javascript"), (path, status, ctype)
        status, _, body = get("/vendor/msgpack/LICENSE")
        assert status == 200 and b"MessagePack Community" in body and b"Permission to use" in body
        assert get("/index.html?x=1")[0] == 200
        for bad in ("/nope.js", "/%2e%2e/web.py", "/../web.py", "/..%2fweb.py", "/.hidden"):
            assert get(bad)[0] == 404, bad
    finally:
        d.stop()


def test_browser_preview_speaks_in_sync():
    node = _need_browser()
    out = _artifact_dir()
    for name in ("result.json", "face_aa.png", "face_pp.png"):
        (out / name).unlink(missing_ok=True)
    d = DaemonProcess()
    try:
        proc = subprocess.run([node, str(BROWSER_DIR / "preview_check.mjs"), d.page, str(out), TEXT],
                              cwd=BROWSER_DIR, capture_output=True, text=True, timeout=180,
                              env={**os.environ, "CHROMIUM": CHROMIUM})
    finally:
        d.stop()
    result_path = out / "result.json"
    assert result_path.exists(), f"the browser script wrote no result:\n{proc.stdout}\n{proc.stderr}"
    r = json.loads(result_path.read_text())
    assert proc.returncode == 0 and r.get("ok"), f"browser run failed: {r.get('fatal')}\n{proc.stderr}\nconsole: {r.get('console')}"

    # The mood controls reach the face: surprised at full intensity widens the eyes, raises the brows.
    mood = r["mood"]
    assert mood["errors"] == [] and mood["shown"] == "1.00"
    assert mood["eyeWide"] > 0.3 and mood["browOuterUp"] > 0.3, mood

    # Loads cleanly and connects.
    assert r["consoleErrors"] == [], r["consoleErrors"]
    assert r["pageErrors"] == [], r["pageErrors"]
    assert r["failedRequests"] == [] and r["badResponses"] == [], (r["failedRequests"], r["badResponses"])
    assert r["connected"] and r["protocolErrors"] == []
    rate = r["welcome"]["audio"]["sample_rate"]
    assert rate in (16000, 22050, 24000, 44100, 48000)
    assert len(r["welcome"]["channels"]) == 59 and r["welcome"]["channels"][17] == "jawOpen"
    assert r["micButton"]["disabled"] is False
    assert r["micChunks"] >= 25  # ~1 s of 40 ms mic chunks reached the daemon with no error

    # The audio playback clock advances at its rate (idle: silence), and the session's audio
    # context runs at the session's rate.
    idle = r["idleClock"]
    assert idle["rate"] == rate
    advanced_s = (idle["p1"] - idle["p0"]) / rate
    assert 0.5 * idle["ms"] / 1000 < advanced_s < 1.5 * idle["ms"] / 1000, idle

    # The utterance was heard: every sample played by the worklet, none lost as late.
    u = r["utterance"]
    assert u["outcome"] == "finished"
    samples = u["end"] - u["start"]
    assert samples > 0.5 * rate
    after = r["audioAfter"]
    assert after["position"] > u["end"]
    # (audio that arrives after its moment is skipped, never played late; on a loaded machine a
    # little may be, but nearly all of it must be heard)
    assert after["playedSamples"] + after["lateSamples"] >= samples, (after, samples)
    assert after["lateSamples"] <= 0.05 * samples, (after, samples)

    # The face shown follows the audio clock, not the newest frame received.
    live = [s for s in r["live"] if s["displayed"] is not None]
    assert live and all(s["clock"] == "audio" for s in live)
    assert all(s["displayed"] < s["newest"] for s in live), live
    assert all(abs(s["position"] - s["displayed"]) < 0.1 * rate for s in live), live

    # Phoneme marks carry the visemes the test picks its moments by.
    visemes = [m["viseme"] for m in r["marks"] if m["kind"] == "phoneme"]
    assert "aa" in visemes and "PP" in visemes, visemes

    # At the open vowel the weights open the lips; at p/b/m they seal them ...
    aa, pp = r["aa"], r["pp"]
    gap_aa = aa["jawOpen"] - aa["mouthClose"]
    gap_pp = pp["jawOpen"] - pp["mouthClose"]
    assert gap_aa > 0.25 and gap_pp < 0.08, (aa, pp)
    # ... and the picture says the same: a tall dark mouth opening vs none.
    region = r["mouthRegion"]
    rows_aa, px_aa = mouth_opening_px(Path(aa["file"]), region)
    rows_pp, px_pp = mouth_opening_px(Path(pp["file"]), region)
    print(f"\nmouth opening: aa {rows_aa} px tall ({px_aa} px) at jawOpen-mouthClose {gap_aa:.2f}; "
          f"PP {rows_pp} px tall ({px_pp} px) at {gap_pp:.2f}")
    assert rows_aa >= 15 and px_aa >= 400, (rows_aa, px_aa)
    assert rows_pp <= 2, (rows_pp, px_pp)
    assert rows_aa >= 0.4 * aa["mouth"]["gap"], (rows_aa, aa["mouth"])

    artifact = Path(r["artifact"])
    assert artifact.exists() and artifact.stat().st_size > 10_000
    print(f"browser preview screenshot: {artifact}")
