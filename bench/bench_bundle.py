"""The daemon bundle beside the pip-installed daemon, in one run (issue 20). Prints one JSON line.

For each of ``--runs`` rounds, alternating which goes first, both daemons are started with
``serve --port 0 --exit-on-stdin-eof``: launch -> ready line (seconds; the first round is the
coldest the page cache allows without dropping it machine-wide), then one session's
``say`` -> first ``audio`` message (ms; the ready line comes after the voice's warm-up, so this is
the first line a game would speak). Also the bundle's size on disk (bytes of its files) beside
the virtual environment's site-packages, and the bundle's glibc baseline from BUNDLE.json.
Ratios are bundle / pip. The machine's load average is printed with the figures: on a shared
2-core machine they are indicative only.

    python bench/bench_bundle.py --bundle DIR [--runs 5]     # DIR from `faceplex bundle -o DIR`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import msgpack
from websockets.asyncio.client import connect

from faceplex.bridge.bundle.notices import tree_size
from faceplex.protocol import messages as m
from faceplex.protocol.codec import encode

LINE = "Hello there, traveller. The lighthouse is just beyond the hill."


def _run_once(cmd: list[str]) -> tuple[float, float]:
    """(launch -> ready line in s, say -> first audio in ms) for one daemon started with ``cmd``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([*cmd, "serve", "--port", "0", "--exit-on-stdin-eof"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ready = json.loads(proc.stdout.readline())
        start_s = time.perf_counter() - t0

        async def first_audio() -> float:
            async with connect(ready["url"], max_size=None) as ws:
                await ws.send(encode(m.Hello(id="h", token=ready["token"])))
                await ws.recv()
                t = time.perf_counter()
                await ws.send(encode(m.Say(id="s", utt="u", text=LINE)))
                async for data in ws:
                    if msgpack.unpackb(data)["type"] == "audio":
                        return (time.perf_counter() - t) * 1000.0
            raise RuntimeError("no audio")

        audio_ms = asyncio.run(first_audio())
    finally:
        proc.stdin.close()
        proc.wait(60)
    return start_s, audio_ms


def _summary(starts: list[float], audio: list[float]) -> dict:
    return {"start_to_ready_s_first": round(starts[0], 2), "start_to_ready_s_p50": round(statistics.median(starts), 2),
            "start_to_ready_s_max": round(max(starts), 2),
            "say_to_first_audio_ms_p50": round(statistics.median(audio), 1),
            "say_to_first_audio_ms_max": round(max(audio), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", required=True, help="folder made by `faceplex bundle -o DIR`")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    bundle = Path(args.bundle).resolve()
    cmds = {"bundle": [str(bundle / "faceplex-daemon")], "pip": [sys.executable, "-m", "faceplex.bridge.cli"]}
    results: dict[str, dict[str, list[float]]] = {k: {"start": [], "audio": []} for k in cmds}
    for i in range(args.runs):
        order = list(cmds) if i % 2 == 0 else list(reversed(cmds))
        for name in order:
            s, a = _run_once(cmds[name])
            results[name]["start"].append(s)
            results[name]["audio"].append(a)
    out = {k: _summary(v["start"], v["audio"]) for k, v in results.items()}
    manifest = json.loads((bundle / "BUNDLE.json").read_text())
    out["bundle"]["size_bytes"] = tree_size(bundle)
    out["pip"]["site_packages_bytes"] = tree_size(Path(sysconfig.get_paths()["purelib"]))
    out["ratios"] = {"start_to_ready_p50": round(out["bundle"]["start_to_ready_s_p50"] / out["pip"]["start_to_ready_s_p50"], 2),
                     "say_to_first_audio_p50": round(out["bundle"]["say_to_first_audio_ms_p50"]
                                                     / out["pip"]["say_to_first_audio_ms_p50"], 2)}
    out.update({"glibc": manifest.get("glibc"), "freezer": manifest.get("freezer"), "runs": args.runs,
                "load_avg": [round(x, 2) for x in os.getloadavg()]})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
