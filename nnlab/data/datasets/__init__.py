"""One module per dataset: its public origin, the sha256 of each file, its parser and its `SPEC`.

`nnlab.data.registry.DATASETS` lists them by name. The scikit-learn sets (`sklearn_digits`,
`sklearn_diabetes`) ship with scikit-learn: nothing to fetch, they serve as quick-mode fallbacks.
"""
