"""``faceplex`` command line: serve, say (bake a take), demo.

Run ``faceplex COMMAND --help`` for options.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from .motion import MOTION_BACKENDS


def _cmd_serve(args: argparse.Namespace) -> int:
    from .daemon import run_daemon

    sink_factory = None
    if args.livelink_udp:
        from .livelink_udp import parse_target, sink_factory as make_factory

        sink_factory = make_factory(*parse_target(args.livelink_udp))
    asyncio.run(run_daemon(args.host, args.port, exit_on_stdin_eof=args.exit_on_stdin_eof,
                           frame_sink_factory=sink_factory, motion=args.motion))
    return 0


def _cmd_say(args: argparse.Namespace) -> int:
    from .bake import bake_text
    from .take import write_take

    take = bake_text(args.text, sample_rate=args.sample_rate, fps=args.fps, seed=args.seed, speed=args.speed)
    paths = write_take(take, Path(args.output))
    print(json.dumps({k: str(v) for k, v in paths.items()}))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    figures = asyncio.run(run_demo(args.text, Path(args.output), sample_rate=args.sample_rate, fps=args.fps))
    print(json.dumps(figures, indent=1))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faceplex", description="Speech + ARKit-52 face motion daemon.")
    parser.add_argument("--log-level", default="WARNING", help="Python logging level (default WARNING)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the daemon (first stdout line: JSON with port and pid)")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="TCP port; 0 picks a free one (default 8765)")
    serve.add_argument("--exit-on-stdin-eof", action="store_true",
                       help="exit when stdin closes (engine plugins launch the daemon this way)")
    serve.add_argument("--livelink-udp", metavar="HOST:PORT",
                       help="also send every session's face frames as Live Link Face UDP packets (Unreal listens on 11111)")
    serve.add_argument("--motion", choices=MOTION_BACKENDS, default="rules",
                       help="face motion backend: rules (phoneme-driven animator) or rfm (Rolling Flow Matching model)")
    serve.set_defaults(func=_cmd_serve)

    say = sub.add_parser("say", help="bake a take: DIR/take.wav, take.csv (Live Link Face), take.png")
    say.add_argument("text")
    say.add_argument("-o", "--output", required=True, help="output folder")
    say.add_argument("--sample-rate", type=int, default=22050, help="WAV rate in Hz (default: the voice's 22050)")
    say.add_argument("--fps", type=int, default=60, choices=(30, 60), help="animation rate (CSV is always 60 rows/s)")
    say.add_argument("--seed", type=int, default=0)
    say.add_argument("--speed", type=float, default=1.0)
    say.set_defaults(func=_cmd_say)

    demo = sub.add_parser("demo", help="start a daemon, speak a line over a real WebSocket, save the take, print latencies")
    demo.add_argument("--text", default="Hello! I'm FacePlex. I speak and move my face in real time, in lockstep with my voice.")
    demo.add_argument("-o", "--output", default="faceplex-demo", help="output folder (default ./faceplex-demo)")
    demo.add_argument("--sample-rate", type=int, default=48000)
    demo.add_argument("--fps", type=int, default=60, choices=(30, 60))
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
