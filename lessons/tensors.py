"""Lesson 1 · tensors: tensors, dtypes, NumPy interop, broadcasting, indexing, a hand-written softmax and
device placement in raw TensorFlow (GeekBrains NN2-1; DLS PyTorch basics).

What it teaches: the operations every later lesson is made of, each shown with its result and a check
that could fail: creating tensors, dtypes and casts, NumPy interop both ways, broadcasting, indexing
and slicing, reshaping; then softmax written by hand (tf_raw.softmax), numerically stable on any axis,
against tf.nn.softmax, including logits of ±1000 where the textbook formula returns nan; and tf.device
placement with the device each op actually ran on, read back from the result.

Expected result (no dataset, no training: quick and full runs compute the same): every check passes;
the hand softmax equals tf.nn.softmax to 1e-6 including logits of ±1000 (COURSE.md target).

Run: `nnlab run tensors [--quick]`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from nnlab.data.bundles import Bundle
from nnlab.runner import Outcome, RunOptions, Variant

SLUG = "tensors"
SOFTMAX_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Config:
    softmax_shape: tuple[int, ...] = (4, 5, 6)          # random logits checked on every axis
    extreme_logit: float = 1000.0
    scales: tuple[float, ...] = (1, 10, 30, 60, 80, 90, 100, 300, 1000)  # logit scales for the overflow plot


def make_config(options: RunOptions) -> Config:
    return Config()


@dataclass
class Generated(Bundle):
    """The lesson's inputs are generated from the seed; this bundle names them for the report header."""

    seed: int
    config: Config

    def details(self) -> dict:
        return {"sizes": {"softmax logits": int(np.prod(self.config.softmax_shape))}}


def load_data(config: Config, options: RunOptions) -> Generated:
    identity = hashlib.sha256(f"{options.seed}:{config}".encode()).hexdigest()
    return Generated(options.seed, config, dataset="generated tensors", sha256=identity)


GROUPS = ("creation", "dtypes", "numpy", "broadcasting", "indexing", "reshape", "softmax", "devices")


def grid(config: Config, data: Generated) -> list[Variant]:
    return [Variant("operations", group, {"group": group}) for group in GROUPS]


def row(operation: str, code: str, result, check: str, passed) -> dict:
    text = result if isinstance(result, str) else np.array2string(np.asarray(result), precision=4, threshold=12)
    return {"operation": operation, "code": f"`{code}`", "result": " ".join(text.split()), "check": check,
            "passed": bool(passed)}


# ---- the operation groups ------------------------------------------------------------------------

def creation(config: Config, rng) -> list[dict]:
    import tensorflow as tf

    c = tf.constant([[1, 2, 3], [4, 5, 6]])
    r = tf.range(0, 10, 3)
    u = tf.random.uniform((2, 3), minval=-1, maxval=1, seed=1)
    return [row("constant from a list", "tf.constant([[1, 2, 3], [4, 5, 6]])", c, "shape (2, 3), dtype int32",
                c.shape == (2, 3) and c.dtype == tf.int32),
            row("zeros / ones", "tf.zeros((2, 2)) + tf.ones((2, 2))", tf.zeros((2, 2)) + tf.ones((2, 2)),
                "all ones, float32", bool(tf.reduce_all(tf.zeros((2, 2)) + tf.ones((2, 2)) == 1.0))),
            row("range", "tf.range(0, 10, 3)", r, "0, 3, 6, 9 (stop excluded)", r.numpy().tolist() == [0, 3, 6, 9]),
            row("fill", "tf.fill((2, 3), 7.0)", tf.fill((2, 3), 7.0), "six sevens",
                float(tf.reduce_sum(tf.fill((2, 3), 7.0))) == 42.0),
            row("uniform random", "tf.random.uniform((2, 3), -1, 1, seed=1)", u, "every value in [-1, 1)",
                bool(tf.reduce_all((u >= -1) & (u < 1))))]


def dtypes(config: Config, rng) -> list[dict]:
    import tensorflow as tf

    truncated = tf.cast(tf.constant([1.7, -1.7]), tf.int32)
    try:
        tf.constant(1) + tf.constant(1.0)
        mixed, raised = "no error", False
    except (tf.errors.InvalidArgumentError, TypeError) as error:
        mixed, raised = type(error).__name__, True
    half = tf.constant(2049.0, tf.float16)
    return [row("cast float to int", "tf.cast([1.7, -1.7], tf.int32)", truncated, "truncates toward zero: 1, -1",
                truncated.numpy().tolist() == [1, -1]),
            row("int32 + float32", "tf.constant(1) + tf.constant(1.0)", mixed,
                "refused: TensorFlow never casts implicitly", raised),
            row("float16 precision", "tf.constant(2049.0, tf.float16)", half,
                "float16 has an 11-bit significand: 2049 is stored as 2048", float(half) == 2048.0),
            row("default float", "tf.constant(0.1).dtype", tf.constant(0.1).dtype.name, "float32 (NumPy's is float64)",
                tf.constant(0.1).dtype == tf.float32)]


def numpy_interop(config: Config, rng) -> list[dict]:
    import tensorflow as tf

    array = rng.normal(size=(2, 3))
    tensor = tf.convert_to_tensor(array)
    back = tensor.numpy()
    mixed = np.add(tf.constant([1.0, 2.0]), 1.0)
    return [row("NumPy → tensor", "tf.convert_to_tensor(np_array)", tensor, "same values; dtype stays float64",
                np.array_equal(back, array) and tensor.dtype == tf.float64),
            row("tensor → NumPy", "tensor.numpy()", back, "an np.ndarray equal to the source", isinstance(back, np.ndarray)),
            row("NumPy function on a tensor", "np.add(tf.constant([1., 2.]), 1.0)", mixed,
                "NumPy accepts tensors and returns an ndarray", isinstance(mixed, np.ndarray) and mixed.tolist() == [2, 3]),
            row("tensor op on NumPy", "tf.square(np.arange(3))", tf.square(np.arange(3)),
                "TensorFlow accepts arrays and returns a tensor", tf.is_tensor(tf.square(np.arange(3))))]


def broadcasting(config: Config, rng) -> list[dict]:
    import tensorflow as tf

    column, line = tf.constant([[1.0], [2.0], [3.0]]), tf.constant([[10.0, 20.0, 30.0, 40.0]])
    table = column + line
    matrix = tf.reshape(tf.range(6.0), (2, 3))
    centred = matrix - tf.reduce_mean(matrix, axis=0)
    try:
        tf.zeros((2, 3)) + tf.zeros((2, 4))
        refused = False
    except tf.errors.InvalidArgumentError:
        refused = True
    return [row("(3, 1) + (1, 4)", "column + row", table, "a (3, 4) table, as NumPy broadcasts",
                table.shape == (3, 4) and np.array_equal(table, column.numpy() + line.numpy())),
            row("subtract column means", "m - tf.reduce_mean(m, axis=0)", centred, "every column now sums to 0",
                bool(tf.reduce_all(tf.abs(tf.reduce_sum(centred, axis=0)) < 1e-6))),
            row("incompatible shapes", "tf.zeros((2, 3)) + tf.zeros((2, 4))", "InvalidArgumentError" if refused else "no error",
                "refused: trailing sizes 3 and 4 differ and neither is 1", refused)]


def indexing(config: Config, rng) -> list[dict]:
    import tensorflow as tf

    x = tf.reshape(tf.range(24), (2, 3, 4))
    return [row("element", "x[1, 2, 3]", x[1, 2, 3], "the last element, 23", int(x[1, 2, 3]) == 23),
            row("slice with a step", "x[0, :, ::2]", x[0, :, ::2], "shape (3, 2): even columns of the first block",
                x[0, :, ::2].shape == (3, 2) and int(x[0, 2, 2]) == int(x[0, :, ::2][2, 1])),
            row("ellipsis", "x[..., -1]", x[..., -1], "last column of every row: shape (2, 3)", x[..., -1].shape == (2, 3)),
            row("gather", "tf.gather(x, [2, 0], axis=1)", tf.gather(x, [2, 0], axis=1)[0], "rows 2 and 0, in that order",
                np.array_equal(tf.gather(x, [2, 0], axis=1)[0], x.numpy()[0][[2, 0]])),
            row("boolean mask", "tf.boolean_mask(x, x % 5 == 0)", tf.boolean_mask(x, x % 5 == 0),
                "the multiples of 5 below 24", tf.boolean_mask(x, x % 5 == 0).numpy().tolist() == [0, 5, 10, 15, 20])]


def reshape(config: Config, rng) -> list[dict]:
    import tensorflow as tf

    x = tf.reshape(tf.range(6), (2, 3))
    return [row("reshape", "tf.reshape(x, (3, 2))", tf.reshape(x, (3, 2)), "row-major order kept: 0 1 / 2 3 / 4 5",
                tf.reshape(x, (3, 2)).numpy().tolist() == [[0, 1], [2, 3], [4, 5]]),
            row("transpose", "tf.transpose(x)", tf.transpose(x), "shape (3, 2), rows become columns",
                tf.transpose(x).numpy().tolist() == [[0, 3], [1, 4], [2, 5]]),
            row("infer a size", "tf.reshape(x, (-1,))", tf.reshape(x, (-1,)), "-1 takes what is left: 6",
                tf.reshape(x, (-1,)).shape == (6,)),
            row("add / drop an axis", "tf.squeeze(tf.expand_dims(x, 0))", tf.expand_dims(x, 0).shape.as_list(),
                "(1, 2, 3) and back to (2, 3)", tf.squeeze(tf.expand_dims(x, 0)).shape == (2, 3))]


def softmax_checks(config: Config, rng) -> tuple[list[dict], dict]:
    import tensorflow as tf

    from tf_raw.softmax import naive_softmax, softmax

    logits = rng.normal(scale=5.0, size=config.softmax_shape).astype(np.float32)
    rows, errors = [], {}
    for axis in range(len(config.softmax_shape)):
        error = float(np.max(np.abs(softmax(logits, axis=axis) - tf.nn.softmax(logits, axis=axis))))
        errors[f"axis {axis}"] = error
        rows.append(row(f"softmax on axis {axis}", f"softmax(z, axis={axis})", f"max |ours − tf| = {error:.1e}",
                        f"≤ {SOFTMAX_TOLERANCE:g}", error <= SOFTMAX_TOLERANCE))
    m = config.extreme_logit
    extreme = np.array([[m, -m, m - 1, 0.0]], np.float32)
    ours = softmax(extreme).numpy()
    error = float(np.max(np.abs(ours - tf.nn.softmax(extreme).numpy())))
    errors["±1000"] = error
    rows.append(row(f"softmax of ±{m:g}", f"softmax([[{m:g}, {-m:g}, {m - 1:g}, 0]])", ours,
                    f"finite, sums to 1, equals tf.nn.softmax to {SOFTMAX_TOLERANCE:g}",
                    np.isfinite(ours).all() and abs(ours.sum() - 1) < 1e-6 and error <= SOFTMAX_TOLERANCE))
    naive = naive_softmax(extreme).numpy()
    rows.append(row(f"textbook formula on ±{m:g}", "exp(z) / sum(exp(z))", naive,
                    "overflows: exp(1000) = inf, inf / inf = nan", np.isnan(naive).any()))
    # the overflow curve for the plot: worst error of each formula against tf.nn.softmax as logits grow
    curve = {"scale": [], "stable": [], "naive": []}
    for scale in config.scales:
        z = (np.linspace(-1.0, 1.0, 10, dtype=np.float32) * scale)[None, :]
        reference = tf.nn.softmax(z).numpy()
        curve["scale"].append(float(scale))
        curve["stable"].append(float(np.max(np.abs(softmax(z).numpy() - reference))))
        curve["naive"].append(float(np.nanmax(np.abs(naive_softmax(z).numpy() - reference)))
                              if np.isfinite(naive_softmax(z).numpy()).all() else float("nan"))
    return rows, {"errors": errors, "curve": curve}


def devices(config: Config, rng) -> tuple[list[dict], dict]:
    import tensorflow as tf

    found = [{"name": d.name, "type": d.device_type} for d in tf.config.list_logical_devices()]
    rows = []
    a = tf.constant(rng.normal(size=(64, 64)).astype(np.float32))
    for device in found:
        with tf.device(device["name"]):
            product = tf.matmul(a, a)
        ran_on = product.device
        expected = device["name"].split("device:")[-1]
        rows.append(row(f"matmul on {device['type']}", f"with tf.device('{device['name']}'): tf.matmul(a, a)",
                        f"ran on {ran_on}", f"the result lives on {expected}", ran_on.endswith(expected)))
    return rows, {"devices": found}


CHECKS = {"creation": creation, "dtypes": dtypes, "numpy": numpy_interop, "broadcasting": broadcasting,
          "indexing": indexing, "reshape": reshape, "softmax": softmax_checks, "devices": devices}


def train(variant: Variant, data: Generated, config: Config, seed: int) -> Outcome:
    result = CHECKS[variant.params["group"]](config, np.random.default_rng(seed))
    rows, extra = result if isinstance(result, tuple) else (result, {})
    passed = sum(r["passed"] for r in rows)
    metrics = {"check": {"passed": passed, "failed": len(rows) - passed}}
    if "errors" in extra:
        metrics["softmax"] = {"max_abs_error": max(extra["errors"].values())}
    return Outcome(metrics, info={"checks": len(rows)}, artifacts={"rows": rows, **extra})


# ---- report --------------------------------------------------------------------------------------

def report_sections(view) -> list[str]:
    from reports import plots
    from reports.tables import markdown_table

    sections = []
    for record in view.records:
        rows = view.artifact(record, "rows") or []
        shown = [{**r, "passed": "yes" if r["passed"] else "**NO**"} for r in rows]
        parts = [f"## {record.variant.capitalize()}", markdown_table(shown, ["operation", "code", "result", "check",
                                                                             "passed"])]
        if record.variant == "softmax":
            curve = view.artifact(record, "curve")
            path = plots.error_by_scale(curve["scale"], {"stable (subtract the max)": curve["stable"],
                                                         "textbook exp(z) / Σ exp(z)": curve["naive"]},
                                        view.figure("softmax_overflow.png"),
                                        title="Softmax against tf.nn.softmax as logits grow: the textbook "
                                              "formula overflows past ~88")
            parts.append(view.image(path, "softmax error by logit scale"))
        if record.variant == "devices":
            listed = view.artifact(record, "devices") or []
            parts.insert(1, "Devices TensorFlow sees: " + ", ".join(f"`{d['name']}` ({d['type']})" for d in listed)
                         + ". The result tensor's `.device` says where the op actually ran.")
        sections.append("\n\n".join(parts))
    return sections


def conclusions(view) -> list[str]:
    total = sum(int(r.info.get("checks", 0)) for r in view.records)
    failed = [r.variant for r in view.records if r.metric("check", "failed") > 0]
    lines = [f"{total - sum(int(r.metric('check', 'failed')) for r in view.records)} of {total} checks passed"
             + (f"; failures in {', '.join(failed)}." if failed else ".")]
    lines += [verdict.sentence() for verdict in verdicts(view)]
    return lines


def verdicts(view) -> list:
    """The target (COURSE.md): the hand softmax equals tf.nn.softmax to 1e-6, logits of ±1000 included."""
    from reports.conclusions import Verdict

    softmax = next((r for r in view.records if r.variant == "softmax"), None)
    if softmax is None:
        return []
    error = softmax.metric("softmax", "max_abs_error")
    return [Verdict(f"hand softmax within {SOFTMAX_TOLERANCE:g} of tf.nn.softmax, logits of ±1000 included", error,
                    f"largest difference {error:.1e} over every axis", error <= SOFTMAX_TOLERANCE,
                    full_run=not view.quick)]
