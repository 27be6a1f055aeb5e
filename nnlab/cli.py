"""The `nnlab` command line: list the lessons, run one, rebuild its report, write it as a notebook,
detect objects in a picture, and the commands that use what a lesson trained (translate, compose, say).

Every error a user can fix prints one line and exits with status 2; an interrupted run exits 130
after recording what it finished.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from nnlab.errors import UserError

THREADS_ENV = "NNLAB_THREADS"
EPILOG = """environment:
  NNLAB_HOME       default workdir (results store and reports), else ./nnlab-runs
  NNLAB_DATA_DIR   read-only folder in Keras-cache layout searched before downloading
                   (an offline copy of the datasets); never written
  NNLAB_OFFLINE=1  never download (1/true/yes; 0/false/no or unset allow it); fail with the fix instead
  KERAS_HOME       the Keras cache where downloads are kept (default ~/.keras)
  NNLAB_THREADS    CPU threads TensorFlow may use (default: all)
  NNLAB_MODELS_DIR read-only folder of detector files (detection: ssd-v1-tflite)
  TFHUB_CACHE_DIR  where TF Hub keeps downloaded models (default <temp>/tfhub_modules)
  KERAS_BACKEND    tensorflow (default) or jax (pip install -e ".[jax]"); fixed for the whole command"""


TUNE_EPILOG = """resuming: run the same command again after Ctrl-C; finished trials are kept (Keras
  Tuner reloads its project in <workdir>/tuning/<lesson>/) and the interrupted trial is retried.
  --overwrite starts afresh. Every finished trial is recorded in the results store; `nnlab report`
  shows them in a Search section.

distributed (Keras Tuner's own chief/worker mode; the workdir must be shared by all machines):
  nnlab tune fashion-mlp --chief --bind 10.0.0.5 --port 8000  # on the chief: hands out trials
  nnlab tune fashion-mlp --worker 1 --oracle 10.0.0.5:8000    # on each worker: trains them
  The chief listens on 127.0.0.1 unless --bind names an interface; its oracle has no
  authentication (anyone who reaches the port can report scores), so bind beyond this machine
  only on a trusted network. A worker silent for 30 s loses its trial to the next one that asks;
  a worker whose chief stops answering stops within seconds (exit 2), its finished trials kept.
  This sets KERASTUNER_TUNER_ID (chief / worker-ID), KERASTUNER_ORACLE_IP and
  KERASTUNER_ORACLE_PORT for Keras Tuner. Give every process the same options (--tuner,
  --max-trials, --quick, --seed, --epochs). The chief writes the report when the search ends.
  TensorBoard logs with the HParams dashboard: tensorboard --logdir <workdir>/tensorboard"""


DETECT_EPILOG = """models (--model, repeat it to compare several; default ssd):
{models}
  PATH/          any SavedModel folder with the TF2 Detection Zoo signature (uint8 image in;
                 detection_boxes, detection_classes, detection_scores, num_detections out)
  PATH.tflite    an SSD .tflite with TFLite_Detection_PostProcess
  https://...    any TF Hub handle of a TF2 Detection Zoo model
TF Hub models are downloaded once into $TFHUB_CACHE_DIR (default <temp>/tfhub_modules); without
internet only cached ones load. IMAGE is a picture file or skimage:astronaut|chelsea|coffee|rocket.
Greyscale, palette, RGBA and 16-bit pictures are converted to 8-bit RGB."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (plus exit 2) instead of the usage block."""

    def error(self, message: str):
        print(f"{self.prog}: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(2)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer. Received: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer. Received: {value}")
    return value


def seed_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to 2**32-1. Received: {text!r}") from None
    if not 0 <= value < 2 ** 32:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to 2**32-1. Received: {value}")
    return value


def temperature_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value <= 10.0:
        raise argparse.ArgumentTypeError(f"expected a sampling temperature above 0 (e.g. 0.5, 1, 1.5). Received: {text!r}")
    return value


def digit_value(text: str) -> int:
    if text.strip() not in [str(d) for d in range(10)]:
        raise argparse.ArgumentTypeError(f"expected a digit from 0 to 9. Received: {text!r}")
    return int(text)


def pip_spec(text: str) -> str:
    """One pip requirement for a notebook's install cell: no blanks, no newlines (a cell line must stay one)."""
    if not text.strip() or any(c.isspace() for c in text.strip()):
        raise argparse.ArgumentTypeError(f"expected what pip installs, one word such as nnlab or "
                                         f"git+https://HOST/YOU/nnlab.git. Received: {text!r}")
    return text.strip()


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 1-65535. Received: {text!r}")
    return value


def oracle_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, e.g. 10.0.0.5:8000. Received: {text!r}")
    return host, port_number(port)


def worker_id(text: str) -> str:
    if not text or "chief" in text or not all(c.isalnum() or c in "-_" for c in text):
        raise argparse.ArgumentTypeError(f"expected a worker id of letters, digits, - or _ (not 'chief'). "
                                         f"Received: {text!r}")
    return text


def score_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a score from 0 to 1. Received: {text!r}")
    return value


def name_list(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated variant or experiment names. Received: {text!r}")
    return names


def add_workdir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the results store and reports live (default: $NNLAB_HOME or ./nnlab-runs)")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="nnlab", description="Neural-network coursework: run a lesson, read its report.",
                           epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("list", help="the lessons of the course and whether each is ready")

    run = commands.add_parser("run", help="train a lesson's experiment grid and write its report",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("lesson", help="lesson slug, e.g. fashion-mlp (see `nnlab list`)")
    run.add_argument("--quick", action="store_true",
                     help="same code on a small stratified subset for 1-2 epochs (seconds, not the lesson's figures)")
    run.add_argument("--seed", type=seed_value, default=0, help="fixes data subsets, weights and shuffling (default 0)")
    run.add_argument("--epochs", type=positive_int, default=None, help="override the lesson's epoch count")
    run.add_argument("--rerun", action="store_true", help="train variants again even if already finished")
    run.add_argument("--only", type=name_list, default=(), metavar="NAMES",
                     help="train only these variants or experiments, comma-separated (e.g. depth,width-x4); "
                          "the report still shows everything finished before")
    run.add_argument("--image", default=None,
                     help="detection: the picture to analyse (default: scikit-image's astronaut photo)")
    run.add_argument("--data", default=None, metavar="DIR",
                     help="audio-classes: a folder of <class>/<clip>.wav to classify instead of the spoken digits")
    run.add_argument("--distribute", action="store_true",
                     help="JAX backend: train data-parallel over every local device (keras.distribution)")
    add_workdir(run)

    from nnlab.detectors import models_help

    detect = commands.add_parser("detect", help="find objects in a picture with pretrained detectors",
                                 epilog=DETECT_EPILOG.format(models=models_help()),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    detect.add_argument("image", help="a picture file (JPEG, PNG, ...) or skimage:astronaut")
    detect.add_argument("--model", action="append", default=None,
                        help="a model name, SavedModel folder, .tflite file or TF Hub URL (repeatable; default ssd)")
    detect.add_argument("--top", type=positive_int, default=10, help="how many objects to list (default 10)")
    detect.add_argument("--min-score", type=score_value, default=0.0,
                        help="leave out objects scored below this (default 0: all of the top N)")
    detect.add_argument("--warm-runs", type=positive_int, default=5,
                        help="timed calls after the first; their median is the warm time (default 5)")
    detect.add_argument("--out", type=Path, default=None,
                        help="folder for the annotated PNGs (default <workdir>/detect)")
    add_workdir(detect)

    tune = commands.add_parser(
        "tune", help="a Keras Tuner search over a lesson's search space (resumable, distributed)",
        epilog=TUNE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    tune.add_argument("lesson", help="a lesson with a search space: fashion-mlp, fashion-cnn, notmnist")
    tune.add_argument("--tuner", choices=("random", "bayesian", "hyperband"), default="random",
                      help="Keras Tuner's RandomSearch, BayesianOptimization or Hyperband (default random)")
    tune.add_argument("--max-trials", type=positive_int, default=10,
                      help="trials to run in all, counting those already finished (default 10; Hyperband "
                           "sizes its own brackets from the epoch count)")
    tune.add_argument("--quick", action="store_true", help="small subset, few epochs, as in `nnlab run --quick`")
    tune.add_argument("--seed", type=seed_value, default=0)
    tune.add_argument("--epochs", type=positive_int, default=None, help="epochs per trial (default: the lesson's)")
    tune.add_argument("--overwrite", action="store_true", help="discard the search's project and start afresh")
    role = tune.add_mutually_exclusive_group()
    role.add_argument("--chief", action="store_true", help="distributed: be the oracle that hands out trials")
    role.add_argument("--worker", metavar="ID", type=worker_id, help="distributed: be worker ID, training trials")
    tune.add_argument("--port", type=port_number, default=8000, help="--chief: port to listen on (default 8000)")
    tune.add_argument("--bind", default="127.0.0.1",
                      help="--chief: address to listen on (default 127.0.0.1: this machine only; workers on "
                           "other machines need the interface's address or 0.0.0.0, on a trusted network only)")
    tune.add_argument("--oracle", metavar="HOST:PORT", type=oracle_address,
                      help="--worker: where the chief listens, e.g. 10.0.0.5:8000")
    add_workdir(tune)

    translate = commands.add_parser(
        "translate", help="English to German with a model trained by `nnlab run attention-translation`")
    translate.add_argument("text", nargs="+", help="English sentences, each in quotes")
    translate.add_argument("--model", default=None,
                           help="which trained model: no-attention, bahdanau or luong (default: best test BLEU)")
    translate.add_argument("--beam", type=positive_int, default=1,
                           help="beam width; 1 (default) is greedy decoding, as the lesson's BLEU")
    translate.add_argument("--alignment", action="store_true",
                           help="also show, for each German word, the English word attention weighted most")
    add_workdir(translate)

    compose = commands.add_parser(
        "compose", help="write a new tune as a MIDI file with the best model trained by `nnlab run music`")
    compose.add_argument("--temperature", type=temperature_value, default=1.0,
                         help="sampling temperature: below 1 safer and more repetitive, above 1 wilder (default 1)")
    compose.add_argument("--notes", type=positive_int, default=64, help="notes to sample after the seed (default 64)")
    compose.add_argument("--seed-tune", default=None, metavar="NAME",
                         help="Nottingham tune whose first notes seed the tune, e.g. jigs12 (default: the lesson's "
                              "test tune, kept with the model)")
    compose.add_argument("--out", type=Path, default=None, metavar="FILE.mid",
                         help="where to write it (default <workdir>/compose/<tune>-T<temperature>-seed<seed>.mid)")
    compose.add_argument("--seed", type=seed_value, default=0, help="random seed of the sampling (default 0)")
    add_workdir(compose)

    from nnlab.speech_engines import ENGINES

    say = commands.add_parser(
        "say", help="speak text with a ready engine (espeak-ng, gTTS), or a digit with the network "
                    "`nnlab run speech` trained, into a sound file")
    say.add_argument("text", nargs="?", default=None, help="what to say, in quotes (or use --digit)")
    say.add_argument("--engine", choices=tuple(ENGINES), default=None,
                     help="espeak-ng (offline, WAV; the default) or gtts (online, MP3)")
    say.add_argument("--voice", default=None,
                     help="espeak-ng voice (default en-us; see `espeak-ng --voices`) or gTTS language (default en)")
    say.add_argument("--digit", type=digit_value, default=None, help="0-9: say this digit with the trained network")
    say.add_argument("--speaker", default=None,
                     help="with --digit: whose voice, an FSDD speaker such as theo (default: the first it learned)")
    say.add_argument("--out", type=Path, default=None, metavar="FILE",
                     help="where to write it (default <workdir>/say/<text>-<engine>.wav|.mp3 or digit<N>-<speaker>.wav)")
    add_workdir(say)

    stylize = commands.add_parser(
        "stylize", help="paint a picture in the style of another (Gatys et al.) with VGG16's ImageNet weights")
    stylize.add_argument("content", help="the picture to repaint: a file, or skimage:astronaut|chelsea|coffee|rocket")
    stylize.add_argument("style", help="the picture whose style to copy: a file, or skimage:brick|grass|gravel|...")
    stylize.add_argument("--steps", type=positive_int, default=400, help="Adam steps on the picture (default 400)")
    stylize.add_argument("--size", type=positive_int, default=384,
                         help="longer side of the result in pixels (default 384; the time grows with its square)")
    stylize.add_argument("--out", type=Path, default=None, metavar="FILE.png",
                         help="where to write the result (default <workdir>/stylize/<content>_in_<style>.png)")
    stylize.add_argument("--seed", type=seed_value, default=0, help="random seed of the starting noise (default 0)")
    add_workdir(stylize)

    notebook = commands.add_parser(
        "notebook", help="write a lesson as a Jupyter notebook that runs it step by step (or --all of them)")
    notebook.add_argument("lesson", nargs="?", help="lesson slug, e.g. fashion-mlp (see `nnlab list`)")
    notebook.add_argument("--all", action="store_true",
                          help="one notebook per ready lesson, and index.ipynb linking them")
    notebook.add_argument("--out", type=Path, default=Path("."),
                          help="folder to write <lesson>.ipynb into (default: the current folder)")
    notebook.add_argument("--quick", action="store_true",
                          help="the notebook runs the lesson as `nnlab run --quick` does (seconds, not its figures)")
    notebook.add_argument("--workdir", type=Path, default=None,
                          help="the results store the notebook uses (default: $NNLAB_HOME or ./nnlab-runs where "
                               "its kernel runs)")
    notebook.add_argument("--pip", type=pip_spec, default="nnlab", metavar="SPEC",
                          help="what the first cell installs where nnlab is missing, e.g. in Colab (default nnlab; "
                               "a clone's address such as git+https://HOST/YOU/nnlab.git, or a wheel's URL)")

    report = commands.add_parser("report", help="rebuild a lesson's report from the store, without training "
                                                 "(--all: every lesson run here, and the course index)")
    report.add_argument("lesson", nargs="?", help="lesson slug, e.g. fashion-mlp (or --all)")
    report.add_argument("--all", action="store_true",
                        help="rebuild the report of every lesson run in the workdir and write <workdir>/index.md: "
                             "each lesson's last run and headline figure against its target")
    report.add_argument("--out", type=Path, default=None,
                        help="folder for report.md and its PNGs (default <workdir>/<lesson>); the store is "
                             "only read, so it may be on read-only media")
    add_workdir(report)
    return parser


def thread_count() -> int:
    """NNLAB_THREADS as a positive integer; 0 when unset (TensorFlow then uses every core)."""
    text = os.environ.get(THREADS_ENV, "").strip()
    if not text:
        return 0
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise UserError(f"{THREADS_ENV} must be a positive number of CPU threads. Received: {text!r}. "
                        f"Fix: set e.g. {THREADS_ENV}=1, or unset it to use every core")
    return value


# The Keras backends nnlab runs on, with the package each needs.
BACKENDS = {"tensorflow": "tensorflow", "jax": "jax"}


def check_backend() -> str:
    """The backend KERAS_BACKEND asks for, checked before Keras is imported (Keras would fail with a
    traceback on an unknown name or a backend package that is not installed)."""
    import importlib.util

    backend = os.environ.get("KERAS_BACKEND", "").strip() or "tensorflow"
    if backend not in BACKENDS:
        raise UserError(f"KERAS_BACKEND={backend}: nnlab runs on {' or '.join(BACKENDS)}; set KERAS_BACKEND to "
                        f"one of them (or unset it for tensorflow)")
    if importlib.util.find_spec(BACKENDS[backend]) is None:
        raise UserError(f"KERAS_BACKEND={backend} but {BACKENDS[backend]} is not installed: "
                        f'pip install -e ".[{backend}]" (or unset KERAS_BACKEND for tensorflow)')
    return backend


def import_keras_quietly() -> None:
    """Import Keras and TensorFlow with their start-up chatter held back (`nnlab.quiet.import_keras_quietly`),
    on NNLAB_THREADS threads. A bad NNLAB_THREADS or KERAS_BACKEND is reported first."""
    threads = thread_count()
    check_backend()
    from nnlab.quiet import import_keras_quietly as quiet_import

    quiet_import(threads)


def cmd_list(args) -> int:
    from nnlab.catalog import LESSONS

    width = max(len(lesson.slug) for lesson in LESSONS)
    print(f"{'#':>2}  {'slug':<{width}}  {'status':<7}  title  [source]")
    for lesson in LESSONS:
        print(f"{lesson.number:>2}  {lesson.slug:<{width}}  {lesson.status:<7}  {lesson.title}  [{lesson.covers}]")
    return 0


def cmd_run(args) -> int:
    from nnlab.catalog import load_module, ready

    ready(args.lesson)
    workdir = writable_workdir(args.workdir)
    import_keras_quietly()
    from nnlab.runner import RunOptions, run_lesson

    module = load_module(args.lesson)
    if args.image is not None and not getattr(module, "ACCEPTS_IMAGE", False):
        raise UserError(f"--image is for the detection lesson; '{args.lesson}' has its own dataset. "
                        f"Fix: drop --image")
    if args.data is not None and not getattr(module, "ACCEPTS_DATA", False):
        raise UserError(f"--data is for the audio-classes lesson; '{args.lesson}' has its own dataset. "
                        f"Fix: drop --data")
    needs = getattr(module, "TENSORFLOW_ONLY", "")
    if needs and check_backend() != "tensorflow":
        raise UserError(f"lesson '{args.lesson}' needs the TensorFlow backend ({needs}); run it with "
                        f"KERAS_BACKEND=tensorflow (or unset)")
    options = RunOptions(workdir=workdir, seed=args.seed, quick=args.quick,
                         epochs=args.epochs, rerun=args.rerun, argv=list(args.argv), image=args.image,
                         data=args.data, only=args.only, distribute=args.distribute)
    run_lesson(module, options)
    return 0


def cmd_detect(args) -> int:
    from nnlab.commands.detect import COMMAND, DetectOptions, run_detect
    from nnlab.detectors import locate
    from nnlab.pictures import read_picture

    models = tuple(args.model or ["ssd"])
    read_picture(args.image)  # a bad picture or an unknown model is reported before TensorFlow is imported
    for model in models:
        locate(model)
    workdir = writable_workdir(args.workdir)
    import_keras_quietly()
    run_detect(DetectOptions(image=args.image, models=models, top=args.top,
                             min_score=args.min_score, warm_runs=args.warm_runs,
                             out_dir=args.out or Path(workdir) / COMMAND, workdir=workdir, argv=tuple(args.argv)))
    return 0


def cmd_tune(args) -> int:
    from nnlab.catalog import load_module, ready

    ready(args.lesson)
    if args.worker and not args.oracle:
        raise UserError("--worker needs --oracle HOST:PORT, the address of the chief. Fix: add --oracle")
    if args.oracle and not args.worker:
        raise UserError("--oracle is for workers. Fix: add --worker ID, or drop --oracle")
    workdir = writable_workdir(args.workdir)
    import_keras_quietly()
    from nnlab.runner import RunOptions
    from tuning.search import TuneOptions, run_search, tunable

    module = tunable(load_module(args.lesson))
    role = "chief" if args.chief else "worker" if args.worker else "solo"
    host, port = args.oracle if args.oracle else (args.bind, args.port)
    options = TuneOptions(tuner=args.tuner, max_trials=args.max_trials, overwrite=args.overwrite, role=role,
                          worker_id=args.worker, oracle_host=host, oracle_port=port,
                          run=RunOptions(workdir=workdir, seed=args.seed,
                                         quick=args.quick, epochs=args.epochs, argv=list(args.argv)))
    run_search(module, options)
    return 0


def cmd_translate(args) -> int:
    from nnlab.runner import default_workdir
    from nnlab.commands.translate import find_translator, run_translate

    sentences = [text.strip() for text in args.text]
    if not all(sentences):
        raise UserError("an empty sentence was given. Fix: pass English text in quotes, e.g. "
                        "nnlab translate \"a dog runs\"")
    workdir = args.workdir or default_workdir()
    find_translator(workdir, args.model)  # a missing model is reported before TensorFlow is imported
    import_keras_quietly()
    run_translate(sentences, workdir, args.model, args.alignment, args.beam)
    return 0


def cmd_compose(args) -> int:
    from nnlab.commands.compose import ComposeOptions, find_composer, run_compose
    from nnlab.runner import default_workdir

    workdir = args.workdir or default_workdir()
    find_composer(workdir)  # a missing model is reported before TensorFlow is imported
    if args.out is not None:
        if args.out.suffix.lower() not in (".mid", ".midi"):
            raise UserError(f"--out {args.out}: a MIDI file name must end in .mid. Fix: e.g. --out tune.mid")
        writable_folder(args.out.parent if str(args.out.parent) else Path("."), "--out FILE.mid")
    if args.seed_tune:
        from nnlab.data.datasets import nottingham

        nottingham.tunes([args.seed_tune])  # an unknown tune name is reported before TensorFlow is imported
    import_keras_quietly()
    run_compose(ComposeOptions(workdir=Path(workdir), out=args.out, temperature=args.temperature, notes=args.notes,
                               seed_tune=args.seed_tune, seed=args.seed))
    return 0


def cmd_say(args) -> int:
    from nnlab.commands.say import SayOptions, find_synthesiser, say_digit, say_text
    from nnlab.runner import default_workdir
    from nnlab.speech_engines import engine

    workdir = args.workdir or default_workdir()
    if (args.text is None) == (args.digit is None):
        raise UserError("say either TEXT or --digit N. Fix: e.g. nnlab say \"hello world\", or nnlab say --digit 7")
    if args.digit is None:
        if not args.text.strip():
            raise UserError("the text is empty. Fix: pass something to say in quotes, e.g. nnlab say \"hello\"")
        if args.speaker is not None:
            raise UserError("--speaker is for --digit (the engines have voices: --voice). Fix: drop --speaker")
        name = args.engine or "espeak-ng"
        suffix = engine(name).suffix
    else:
        if args.engine or args.voice:
            raise UserError("--engine and --voice are for TEXT; --digit uses the trained network. Fix: drop them")
        suffix = ".wav"
        find_synthesiser(workdir)  # a missing model is reported before TensorFlow is imported
    if args.out is not None:
        if args.out.suffix.lower() != suffix:
            raise UserError(f"--out {args.out}: this writes a {suffix} file. Fix: e.g. --out speech{suffix}")
        writable_folder(args.out.parent if str(args.out.parent) else Path("."), f"--out FILE{suffix}")
    options = SayOptions(workdir=Path(workdir), text=args.text, engine=args.engine or "espeak-ng", voice=args.voice,
                         digit=args.digit, speaker=args.speaker, out=args.out)
    if args.digit is None:
        say_text(options)
    else:
        import_keras_quietly()
        say_digit(options)
    return 0


def cmd_stylize(args) -> int:
    from nnlab.commands.stylize import StylizeOptions, default_out, run_stylize
    from nnlab.data.pretrained import VGG16_NOTOP, fetch_weights
    from nnlab.pictures import read_picture
    from nnlab.runner import default_workdir

    # unreadable pictures, a bad --out and missing weights are each one line before TensorFlow is imported
    content, style = read_picture(args.content), read_picture(args.style)
    out = args.out or default_out(args.workdir or default_workdir(), content, style)
    if out.suffix.lower() != ".png":
        raise UserError(f"--out {out}: the result is written as PNG. Fix: e.g. --out result.png")
    writable_folder(out.parent if str(out.parent) else Path("."), "--out FILE.png")
    weights = fetch_weights(VGG16_NOTOP)
    import_keras_quietly()
    run_stylize(StylizeOptions(args.content, args.style, args.steps, args.size, out, args.seed), weights)
    return 0


def cmd_report(args) -> int:
    from nnlab.catalog import load_module, ready
    from nnlab.runner import default_workdir
    from reports.store import Store

    if args.all == bool(args.lesson):
        raise UserError("give one LESSON or --all. Fix: e.g. `nnlab report fashion-mlp` or `nnlab report --all`")
    if args.all and args.out is not None:
        raise UserError("--out is for one lesson's report; --all writes into the workdir. Fix: drop --out "
                        "(or pass --workdir)")
    if args.lesson:
        ready(args.lesson)
    workdir = args.workdir or default_workdir()
    if not (Path(workdir) / Store.FILENAME).is_file():
        raise UserError(f"no results store in {workdir}. Fix: run `nnlab run {args.lesson or 'fashion-mlp'}` "
                        f"first (or pass the --workdir it used).")
    store = Store.in_workdir(workdir, readonly=True)  # checked (and never written) before TensorFlow loads
    try:
        if args.all:
            return report_all(store, Path(workdir))
        out_dir = writable_folder(args.out or Path(workdir) / args.lesson, "--out DIR")
        import_keras_quietly()
        from nnlab.runner import write_report

        path = write_report(load_module(args.lesson), store, workdir, out_dir=out_dir)
    finally:
        store.close()
    print(path)
    return 0


def report_all(store, workdir: Path) -> int:
    """Every lesson run in `workdir` gets its report rebuilt; then the course index."""
    from nnlab.catalog import LESSONS, load_module

    writable_folder(workdir, "--workdir DIR")
    import_keras_quietly()
    from nnlab.runner import write_course_index, write_report

    for lesson in LESSONS:
        if lesson.module and store.runs(lesson.slug, kind="run"):
            print(write_report(load_module(lesson.slug), store, workdir), flush=True)
    print(write_course_index(store, workdir))
    return 0


def cmd_notebook(args) -> int:
    from nnlab.catalog import LESSONS, ready
    from nnlab.commands.notebook import NotebookOptions, write_notebooks

    if args.all == bool(args.lesson):
        raise UserError("give one LESSON or --all. Fix: e.g. `nnlab notebook fashion-mlp` or `nnlab notebook --all`")
    slugs = [lesson.slug for lesson in LESSONS if lesson.module] if args.all else [ready(args.lesson).slug]
    out = writable_folder(args.out, "--out DIR")
    for path in write_notebooks(slugs, out, NotebookOptions(quick=args.quick, workdir=args.workdir, install=args.pip), index=args.all):
        print(path)
    return 0


def writable_workdir(workdir: Path | None) -> Path:
    """The workdir of a command that records results, checked before TensorFlow loads (a file in the way,
    a read-only folder, a damaged or newer store) without creating anything."""
    from nnlab.runner import default_workdir
    from reports.store import Store

    workdir = workdir or default_workdir()
    Store.check_writable(workdir)
    return workdir


def writable_folder(folder: Path, option: str) -> Path:
    """`folder`, created if need be, or a UserError naming `option` when it cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create {folder} ({error.strerror or error}). Fix: pass {option}") from None
    if not os.access(folder, os.W_OK):
        raise UserError(f"{folder} is read-only. Fix: pass {option}, a folder you can write")
    return folder


HANDLERS = {"list": cmd_list, "run": cmd_run, "tune": cmd_tune, "report": cmd_report, "detect": cmd_detect,
            "translate": cmd_translate, "compose": cmd_compose, "say": cmd_say, "stylize": cmd_stylize,
            "notebook": cmd_notebook}


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit status: 0 done, 2 an error the user can fix, 130 interrupted.

    Ctrl-C and SIGTERM mean the same from the first line on (start-up, TensorFlow's import, data loading,
    training, report compiling): one line on stderr and status 130, never a traceback. What was being
    trained is marked 'interrupted' by the harness first, so the store stays consistent.
    """
    # TensorFlow's C++ start-up chatter hides the lesson's own output; warnings and errors still show.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = list(sys.argv[1:] if argv is None else argv)
    from keras_models.stopping import signalled
    from nnlab.bookkeeping import Interrupted
    from nnlab.runner import termination_as_interrupt

    try:
        with termination_as_interrupt():
            args = build_parser().parse_args(argv)
            args.argv = argv
            status = HANDLERS[args.command](args)
            if signalled():  # its KeyboardInterrupt landed where Python swallows it (keras_models.stopping)
                raise KeyboardInterrupt("signal")
            return status
    except UserError as error:
        print(f"nnlab: error: {error}", file=sys.stderr)
        return 2
    except Interrupted:  # the harness has recorded the interruption and said so
        return INTERRUPTED
    except KeyboardInterrupt:
        print("\nnnlab: interrupted; finished results are kept in the store. Run the same command again to go on.",
              file=sys.stderr)
        return INTERRUPTED


INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


def entry() -> None:
    """The `nnlab` console script. After an interruption the process ends at once (os._exit), skipping the
    interpreter's shutdown while TensorFlow's native threads may still be running. Otherwise the command
    is over: signals are ignored from here on, since one arriving during the interpreter's shutdown would
    only replace the command's real status with a kill (seen once in 40 runs of bench/interrupt_stress.py)."""
    status = main()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    if status == INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    raise SystemExit(status)


if __name__ == "__main__":
    entry()
