"""Feature extractors for neural style transfer: a frozen conv net's chosen layers as one Keras model.

The losses and the optimisation loop are tf_raw/style.py; this builds what they read: a model mapping
pictures (batch, H, W, 3) with pixels in 0..255 to [content layer, style layers...] activations.
"""
from __future__ import annotations

from typing import Sequence

import keras

from keras_models.transfer import CaffePreprocessing

# Gatys et al. (2015): content from conv4_2 (here the deeper block5_conv2, as the Keras example uses), style
# from the first convolution of each of the five blocks.
VGG16_CONTENT_LAYER = "block5_conv2"
VGG16_STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


def style_extractor(network: keras.Model, content_layer: str, style_layers: Sequence[str],
                    preprocessing: keras.layers.Layer | None = None) -> keras.Model:
    """[preprocessing] -> `network` up to its named layers -> [content, *styles], weights frozen.

    Any functional conv net works (VGG16; a small random CNN in the tests); names it lacks are a ValueError
    listing the names it has."""
    names = [layer.name for layer in network.layers]
    unknown = [name for name in (content_layer, *style_layers) if name not in names]
    if unknown:
        raise ValueError(f"Expected layer names of {network.name}. Received: {unknown}; it has: {names}")
    network.trainable = False
    features = keras.Model(network.inputs, [network.get_layer(n).output for n in (content_layer, *style_layers)])
    inputs = keras.Input(shape=(None, None, 3))
    x = preprocessing(inputs) if preprocessing is not None else inputs
    return keras.Model(inputs, features(x), name="style_extractor")


def vgg16_style_extractor(weights: str | None) -> keras.Model:
    """VGG16's convolutional base (`weights`: "imagenet", a weights file, or None) with its ImageNet
    preprocessing, for pictures of any size in 0..255: [block5_conv2, block1_conv1 .. block5_conv1]."""
    vgg = keras.applications.VGG16(include_top=False, weights=weights, input_shape=(None, None, 3))
    return style_extractor(vgg, VGG16_CONTENT_LAYER, VGG16_STYLE_LAYERS, CaffePreprocessing(scale=1.0))
