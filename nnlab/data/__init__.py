"""The data layer: every lesson gets its dataset here, by name, each job in its own module.

    fetch       one file: NNLAB_DATA_DIR mirror, Keras cache, download; pinned sha256; `offline()`
    spec        a dataset as pinned files plus a parser (`DatasetSpec`, `Loaded`, `folder`)
    formats     file formats several datasets share (IDX)
    datasets/   one module per dataset: origin, hashes, parser, its `SPEC`
    registry    the datasets by name, and `load(name)`
    bundles     `Bundle`, the base of every lesson's data (dataset, sha256, fallback, notes, info()),
                `Splits` (a Bundle of train/val/test arrays), and the quick-mode fallback rule
    images      `ImageClasses`: subsets, validation split, census
    regression  `Regression`: standardised tables
"""
