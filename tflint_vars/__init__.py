"""tflint-vars: find Keras layers whose variables stop training under Keras 3, and fix them."""

__version__ = "0.1.0"
