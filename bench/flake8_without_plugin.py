"""flake8 exactly as installed, minus the tflint-vars plugin: the baseline for the plugin's overhead.

flake8 7.5 runs every installed tree plugin whatever `--select` says (`--select` only filters what is reported;
see flake8/plugins/finder.py `_classify_plugins`), so deselecting TFV does not remove our cost. This wrapper drops
the plugin where flake8 discovers plugins, before anything is loaded. Workers must be forked to inherit the
filtered list (a spawned worker parses the options again and would find the plugin), so fork is forced.
`--version` shows which plugins are active; bench/run.py checks that tflint-vars is absent.
"""

from __future__ import annotations

import multiprocessing
import sys

from flake8.main.cli import main
from flake8.plugins import finder

OUR_DISTRIBUTION = "tflint-vars"
_discover = finder._find_importlib_plugins


def _without_our_plugin():
    return (plugin for plugin in _discover() if plugin.package.replace("_", "-").lower() != OUR_DISTRIBUTION)


finder._find_importlib_plugins = _without_our_plugin

if __name__ == "__main__":
    if "fork" in multiprocessing.get_all_start_methods():
        multiprocessing.set_start_method("fork", force=True)
    sys.exit(main())
