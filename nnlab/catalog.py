"""The 23 lessons of the course (COURSE.md): number, slug, title, source lessons, and where each lives.

A lesson whose `module` is None is in the catalogue but not built yet; `nnlab run` says so.
Sources: DLS = Deep Learning School, GB = GeekBrains intro course, NN2 = GeekBrains "Neural-network_2".
"""
from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from types import ModuleType

from nnlab.errors import UserError


@dataclass(frozen=True)
class LessonInfo:
    number: int
    slug: str
    title: str
    covers: str
    module: str | None = None

    @property
    def status(self) -> str:
        return "ready" if self.module else "planned"


LESSONS: tuple[LessonInfo, ...] = (
    LessonInfo(1, "tensors", "Tensors, broadcasting, a hand-written softmax, device placement",
               "NN2-1, DLS PyTorch basics", "lessons.tensors"),
    LessonInfo(2, "neuron", "Perceptron and sigmoid neuron in NumPy; MSE vs LogLoss",
               "DLS OOP, perceptron, neuron, LogLoss", "lessons.neuron"),
    LessonInfo(3, "activations", "Seven activations with hand-written derivatives", "DLS activations homework",
               "lessons.activations"),
    LessonInfo(4, "two-layer", "A two-layer network with hand-written backprop and its tuning grid", "GB L1",
               "lessons.two_layer"),
    LessonInfo(5, "raw-networks", "Dense, Conv2D, pooling and dropout in raw TensorFlow vs Keras",
               "NN2-2, NN2-3, DLS neuron/MLP", "lessons.raw_networks"),
    LessonInfo(6, "optimizers", "SGD, momentum, Nesterov, Adagrad, RMSprop, Adam by hand", "NN2-7",
               "lessons.optimizers"),
    LessonInfo(7, "fashion-mlp", "Fashion-MNIST dense nets: width, depth, optimizers", "GB L2, DLS MLP",
               "lessons.fashion_mlp"),
    LessonInfo(8, "kaggle-fashion", "Fashion-MNIST competition submission", "DLS Fashion-MNIST Kaggle homework",
               "lessons.kaggle_fashion"),
    LessonInfo(9, "boston-regression", "Boston housing regression: 10-15 variants", "GB L3",
               "lessons.boston_regression"),
    LessonInfo(10, "fashion-cnn", "AlexNet-style CNN on Fashion-MNIST: width and depth sweeps", "GB L4",
               "lessons.fashion_cnn"),
    LessonInfo(11, "cifar10", "A CIFAR-10 CNN, step by step as an ablation", "DLS lesson 7 seminar 1",
               "lessons.cifar10"),
    LessonInfo(12, "notmnist", "notMNIST letters: MLP vs CNN", "DLS lesson 7 seminar 2",
               "lessons.notmnist"),
    LessonInfo(13, "dropout", "Dropout and L2 against overfitting; MC-dropout uncertainty", "DLS lesson 7 homework",
               "lessons.dropout"),
    LessonInfo(14, "lstm-airline", "LSTM forecasting of airline passengers; a NumPy LSTM", "GB L5",
               "lessons.lstm_airline"),
    LessonInfo(15, "unet", "U-Net segmentation of EM membranes", "GB L6", "lessons.unet"),
    LessonInfo(16, "detection", "TF Hub object detectors on your own picture", "GB L7", "lessons.detection"),
    LessonInfo(17, "transfer-style", "Transfer learning measured on two pairs of tasks; VGG16 and neural style "
               "transfer where the ImageNet weights can be had", "NN2-4", "lessons.transfer_style"),
    LessonInfo(18, "attention-translation", "Encoder-decoder with attention, English to German", "NN2-9",
               "lessons.attention_translation"),
    LessonInfo(19, "music", "Folk tunes as MIDI notes: a next-note LSTM against Markov chains, and tunes it composes",
               "NN2-5", "lessons.music"),
    LessonInfo(20, "audio-classes", "Sound classes from log-mel spectrograms: spoken digits by take and by new "
               "voice, any folder of <class>/<clip>.wav", "NN2-8", "lessons.audio_classes"),
    LessonInfo(21, "speech", "Text to speech: ready engines, and a (digit, speaker) → spectrogram network heard "
               "through Griffin-Lim", "NN2-6", "lessons.speech"),
    LessonInfo(22, "q-learning", "Tabular Q-learning against Dijkstra and value iteration; a Keras DQN on CartPole",
               "NN2-10", "lessons.q_learning"),
    LessonInfo(23, "data-engineering", "The results store as a worked data-engineering example", "NN2-11..20",
               "lessons.data_engineering"),
)

BY_SLUG = {lesson.slug: lesson for lesson in LESSONS}


def find(slug: str) -> LessonInfo:
    """The lesson called `slug`, or a UserError that lists what exists."""
    try:
        return BY_SLUG[slug]
    except KeyError:
        close = difflib.get_close_matches(slug, BY_SLUG, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise UserError(f"unknown lesson '{slug}'.{hint} Run `nnlab list` to see all {len(LESSONS)} lessons.") \
            from None


def ready(slug: str) -> LessonInfo:
    """The lesson called `slug` if it is built, or a UserError (checked before anything heavy is imported)."""
    lesson = find(slug)
    if lesson.module is None:
        built = ", ".join(item.slug for item in LESSONS if item.module)
        raise UserError(f"lesson '{slug}' is planned but not built yet. Ready lessons: {built}.")
    return lesson


def load_module(slug: str) -> ModuleType:
    """Import the module of a ready lesson, checked against the lesson contract (`nnlab.contract.Lesson`)."""
    from nnlab.contract import check

    return check(importlib.import_module(ready(slug).module))
