"""Ready text-to-speech engines: espeak-ng (offline, a formant synthesiser; writes WAV) and gTTS (online,
Google Translate's voice; writes MP3). What `nnlab say TEXT` and the speech lesson's engine table use.

An engine that cannot run here (its program or package missing, no network, NNLAB_OFFLINE set) raises
`EngineUnavailable`, a one-line UserError saying why and how to get it; the lesson lists such an engine
as unavailable and goes on with the rest.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from nnlab.errors import UserError

OFFLINE_ENV = "NNLAB_OFFLINE"


class EngineUnavailable(UserError):
    """This engine cannot speak here; the message says why and how to get it."""


@dataclass(frozen=True)
class Engine:
    name: str
    offline: bool        # False: every call goes to a web service
    suffix: str          # the file it writes
    get_it: str          # how a user installs it


ENGINES = {
    "espeak-ng": Engine("espeak-ng", True, ".wav",
                        "install it: `apt-get install espeak-ng` (Debian/Ubuntu), `brew install espeak-ng` (macOS), "
                        "or the installer from github.com/espeak-ng/espeak-ng/releases (Windows)"),
    "gtts": Engine("gtts", False, ".mp3", "`pip install gTTS` (a dependency of nnlab) and a network connection"),
}


def engine(name: str) -> Engine:
    if name not in ENGINES:
        raise UserError(f"unknown speech engine {name!r}. Fix: use one of {', '.join(ENGINES)}")
    return ENGINES[name]


def offline_mode() -> bool:
    """NNLAB_OFFLINE as the data layer reads it: 1/true/yes forbid the network."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes")


def why_unavailable(name: str) -> str | None:
    """Why engine `name` cannot run, found without synthesising anything (None: it may run). An online
    engine that passes this can still fail for want of a network, which only a request tells."""
    spec = engine(name)
    if name == "espeak-ng" and shutil.which("espeak-ng") is None:
        return f"espeak-ng is not installed (no `espeak-ng` program on PATH). Fix: {spec.get_it}"
    if name == "gtts":
        try:
            import gtts  # noqa: F401
        except ImportError:
            return f"gTTS is not installed. Fix: {spec.get_it}"
        if offline_mode():
            return f"gTTS needs the network and {OFFLINE_ENV} forbids it. Fix: unset {OFFLINE_ENV}"
    return None


def speak(name: str, text: str, out: Path, voice: str | None = None, words_per_minute: int = 150) -> Path:
    """Say `text` with engine `name` into the file `out` (WAV for espeak-ng, MP3 for gTTS); `voice` is an
    espeak-ng voice (default en-us) or a gTTS language code (default en). EngineUnavailable when it cannot."""
    reason = why_unavailable(name)
    if reason:
        raise EngineUnavailable(reason)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if name == "espeak-ng":
        # `--` ends the options, so a text that begins with '-' is still spoken, not parsed
        done = subprocess.run(["espeak-ng", "-v", voice or "en-us", "-s", str(words_per_minute), "-w", str(out),
                               "--", text], capture_output=True, text=True)
        if done.returncode != 0 or not out.is_file():
            message = (done.stderr or done.stdout).strip().splitlines()
            raise EngineUnavailable(f"espeak-ng failed (exit {done.returncode}: {message[-1] if message else 'no output'}). "
                                    f"Fix: check the voice with `espeak-ng --voices`")
        return out
    from gtts import gTTS, gTTSError

    try:
        gTTS(text, lang=voice or "en", timeout=10).save(str(out))
    except gTTSError as error:
        out.unlink(missing_ok=True)
        raise EngineUnavailable(f"gTTS could not reach its web service ({str(error).splitlines()[0]}). "
                                "Fix: connect to the internet, or use --engine espeak-ng") from None
    except (ValueError, AssertionError) as error:  # gTTS's own checks: an unknown language, nothing to say
        raise UserError(f"gTTS refused the request ({error}). Fix: a language code such as en, de or fr, and "
                        "some text to say") from None
    return out


def duration_seconds(path: Path) -> float:
    """The length of a WAV or MP3 file, from its header (libsndfile reads both)."""
    import soundfile

    return float(soundfile.info(str(path)).duration)
