"""nnlab's core: the `nnlab` command line, the harness every lesson runs through and the data layer.

Layers, each importing only from those below it (tests/test_layering.py checks it):

    nnlab.cli, nnlab.commands      the command line and its commands
    lessons                        one module per lesson of the course
    tuning                         Keras Tuner searches over a lesson's search space
    nnlab (the rest)               harness: catalogue, runner, lesson contract, recipes, data, detectors
    keras_models, tf_raw, reports  model builders, from-scratch twins, store/tables/plots/conclusions
    nnlab.errors                   the exceptions a user can fix (imports nothing)
"""
