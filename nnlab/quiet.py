"""Native code's chatter on file descriptor 2, held back unless something fails."""
from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def native_stderr_held() -> Iterator[None]:
    """Hold back what is written to file descriptor 2 while the block runs; show it if the block fails
    (an exception, not an interruption: Ctrl-C during TensorFlow's import is one line, not its log).

    TensorFlow's C++ start-up (INFO lines, CUDA probes) and TFLite's delegate set-up ("Created TensorFlow
    Lite XNNPACK delegate") write straight to fd 2, past sys.stderr and out of TF_CPP_MIN_LOG_LEVEL's
    reach; stderr is for problems, and these lines would bury a one-line error.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except Exception:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def import_keras_quietly(threads: int = 0) -> None:
    """Import Keras and TensorFlow with file descriptor 2 silenced (for the CLI and a lesson's notebook).

    TensorFlow's C++ start-up writes INFO lines and CUDA probes straight to fd 2 before its logging
    is initialised, where TF_CPP_MIN_LOG_LEVEL does not reach; they would bury a one-line error (or fill
    a notebook's first output). Under another Keras backend TensorFlow is still imported here, since
    data loaders and the from-scratch twins use it. If the import itself fails, what it wrote is shown
    after all. `threads`: CPU threads TensorFlow may use; 0 leaves it every core.
    """
    with native_stderr_held():
        import keras
        import tensorflow as tf

        if threads:  # e.g. one thread per tuning worker when several share a machine
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        tf.config.list_physical_devices()  # device discovery is where the CUDA probe prints
        if keras.backend.backend() == "jax":
            import jax

            jax.devices()  # JAX's platform probe prints its own lines on first use
