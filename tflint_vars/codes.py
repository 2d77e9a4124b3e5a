"""Every rule's code and name, as data, in the order the rules run: what configuration validates codes against and
outputs name a rule by, without importing a rule (a run the cache answers never loads the rules).
`tests/test_architecture.py` holds it equal to the registry (tflint_vars.rules.registry)."""

RULE_NAMES: dict[str, str] = {
    "TFV000": "unreadable",
    "TFV001": "variable-in-init",
    "TFV002": "variable-in-call",
    "TFV003": "variable-in-method",
    "TFV004": "get-variable-in-layer",
    "TFV005": "get-variable-without-reuse",
    "TFV006": "state-outside-build",
    "TFV007": "add-weight-positional",
    "TFV008": "tf1-layers-api",
    "TFV009": "add-weight-keras2-keyword",
    "TFV010": "tensorshape-api-in-build",
    "TFV011": "removed-layer-api",
    "TFV012": "track-tf1-style-variables",
    "TFV013": "super-init-keras2-arguments",
    "TFV014": "init-without-kwargs",
    "TFV015": "shape-method-signature",
    "TFV016": "metric-weight-without-initializer",
    "TFV017": "init-dtype-default",
    "TFV018": "initializer-draw-in-build",
    "TFV019": "squeeze-without-axis-output",
    "TFV030": "tracking-list-hack",
    "TFV100": "unused-noqa",
}
