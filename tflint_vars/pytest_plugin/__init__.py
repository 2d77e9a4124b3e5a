"""The pytest plugin: `options` (the `pytest11` entry point: options only, no TensorFlow), `watch` (what the enabled
plugin does while the tests run), `findings` (the session's findings, worded as the static rules word them, and the
report). This package imports nothing itself."""
