"""Transfer learning with Keras: a trained classifier's body as a feature extractor, a new head on it,
freezing and unfreezing; and VGG16 (keras.applications) as the base for small colour images.

The small CNN is `keras_models.conv.build_conv_net`; its body is every layer up to (not including) the
softmax layer named "classes", so a source network trained on one task gives the base of another:

    source:  input -> conv blocks -> flatten -> dense -> dropout -> classes (source classes)
    target:  input -> [base: the same layers, weights copied] -> classes (target classes, new weights)
"""
from __future__ import annotations

from typing import Sequence

import keras
from keras import layers

HEAD_NAME = "classes"   # the softmax layer of build_conv_net, and the new head here


def feature_extractor(classifier: keras.Model, up_to: str | None = None, name: str = "base") -> keras.Model:
    """The classifier cut after layer `up_to` (default: everything but its softmax layer "classes").

    The returned model shares the classifier's layers (and weights): (batch, ...) -> (batch, features)."""
    names = [layer.name for layer in classifier.layers]
    if up_to is None and HEAD_NAME not in names:
        raise ValueError(f"Expected a classifier whose softmax layer is named {HEAD_NAME!r}. Received a model "
                         f"with layers: {names}")
    if up_to is not None and up_to not in names:
        raise ValueError(f"Expected up_to among the layers {names}. Received: {up_to!r}")
    output = classifier.get_layer(HEAD_NAME).input if up_to is None else classifier.get_layer(up_to).output
    return keras.Model(classifier.inputs, output, name=name)


def with_new_head(base: keras.Model, n_classes: int, *, hidden: int = 0, dropout: float = 0.0,
                  name: str = "transfer") -> keras.Model:
    """base -> [Dense(hidden, relu) -> Dropout(dropout)] -> Dense(n_classes, softmax): the target network.
    The head's weights are new (Glorot uniform); the base keeps whatever it learned."""
    inputs = keras.Input(shape=base.input_shape[1:])
    x = base(inputs)
    if hidden:
        x = layers.Dense(hidden, activation="relu", name="head_dense")(x)
    if dropout:
        x = layers.Dropout(dropout, name="head_dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name=HEAD_NAME)(x)
    return keras.Model(inputs, outputs, name=name)


def set_base_trainable(model: keras.Model, trainable: bool, base_name: str = "base") -> keras.Model:
    """Freeze (False) or unfreeze (True) the base inside `model`; the head stays trainable.

    Keras reads `trainable` when a model is compiled, so compile again after changing it."""
    model.get_layer(base_name).trainable = trainable
    return model


def trainable_count(model: keras.Model) -> int:
    """Parameters the optimizer updates: Σ size of model.trainable_weights."""
    return int(sum(int(keras.ops.size(w)) for w in model.trainable_weights))


# ---- VGG16 on small colour images ---------------------------------------------------------------

@keras.saving.register_keras_serializable(package="nnlab")
class CaffePreprocessing(layers.Layer):
    """What VGG16's ImageNet weights expect (keras.applications.vgg16.preprocess_input, "caffe" mode):
    pixels x·scale in 0..255 (scale 255 for pixels in [0, 1], 1 for pixels already in 0..255), RGB -> BGR,
    minus the ImageNet channel means (B, G, R) = (103.939, 116.779, 123.68). (batch, H, W, 3) -> same shape."""

    MEANS_BGR = (103.939, 116.779, 123.68)

    def __init__(self, scale: float = 255.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}

    def call(self, x):
        bgr = keras.ops.flip(x * self.scale, axis=-1)
        return bgr - keras.ops.convert_to_tensor(self.MEANS_BGR, dtype=bgr.dtype)


def build_vgg16_classifier(input_shape: Sequence[int], n_classes: int, *, weights: str | None,
                           input_size: int | None = None, dense_units: int = 256, dropout: float = 0.5,
                           name: str = "vgg16_transfer") -> keras.Model:
    """[Resizing(input_size)] -> CaffePreprocessing -> VGG16 convolutional base (include_top=False, the
    layer named "base") -> GlobalAveragePooling2D -> Dense(dense_units, relu) -> Dropout -> softmax.

    `weights`: "imagenet", a path to the weights file, or None (random: for tests). Input pixels in [0, 1],
    (batch, H, W, 3); VGG16 needs H, W ≥ 32, and its five poolings leave 1x1 of a 32x32 image, so
    `input_size` (e.g. 64) upsamples first to keep some spatial detail for the head."""
    inputs = keras.Input(shape=tuple(input_shape))
    x = layers.Resizing(input_size, input_size)(inputs) if input_size else inputs
    x = CaffePreprocessing(name="caffe_preprocessing")(x)
    size = input_size or input_shape[0]
    x = keras.applications.VGG16(include_top=False, weights=weights, input_shape=(size, size, 3), name="base")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(dense_units, activation="relu")(x)
    if dropout:
        x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name=HEAD_NAME)(x)
    return keras.Model(inputs, outputs, name=name)
