"""The pytest plugin's entry point (`tflint_vars` in `pytest11`): its options, and the watcher when they ask for it.

Inactive unless `pytest --tflint-vars` or the ini option `tflint_vars = true` turns it on. Until then this module is
all that loads: it imports no TensorFlow (nor the rest of tflint-vars), so a suite that does not ask for it is
unchanged. Enabled, `watch.Watcher` records, while each test runs, the variables that a Keras Layer/Model/Metric
creates without Keras' API and then keeps, and `findings` words them with the static rules' codes.
"""

from __future__ import annotations

import pytest

HELP = ("watch the Keras layers the tests build: report variables a layer keeps that Keras 3 does not track "
        "(tflint-vars)")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tflint-vars", "Keras 3 variable tracking (tflint-vars)")
    group.addoption("--tflint-vars", action="store_true", default=None, dest="tflint_vars", help=HELP)
    group.addoption("--tflint-vars-report", metavar="PATH", dest="tflint_vars_report",
                    help="write the findings and how each class was built and called (for `tflint-vars verify "
                         "--replay`) as JSON to PATH")
    group.addoption("--tflint-vars-fail", action="store_true", default=None, dest="tflint_vars_fail",
                    help="fail the session when there are findings (default: report only)")
    group.addoption("--tflint-vars-packages", metavar="NAMES", dest="tflint_vars_packages",
                    help="comma-separated top-level packages that are user code (default: files under the rootdir, "
                         "outside site-packages)")
    parser.addini("tflint_vars", type="bool", default=False, help=HELP)
    parser.addini("tflint_vars_fail", type="bool", default=False,
                  help="fail the session when tflint-vars has findings")
    parser.addini("tflint_vars_packages", type="args", default=[],
                  help="top-level packages that are user code for tflint-vars")


def _option(config: pytest.Config, name: str):
    value = config.getoption(name)
    return config.getini(name) if value is None else value


def pytest_configure(config: pytest.Config) -> None:
    if not (_option(config, "tflint_vars") or config.getoption("tflint_vars_report")):
        return
    import importlib.util

    if importlib.util.find_spec("tensorflow") is None:  # found without importing it
        raise pytest.UsageError("--tflint-vars watches TensorFlow variables, and this environment has no tensorflow")
    from tflint_vars.pytest_plugin.watch import Watcher

    packages = config.getoption("tflint_vars_packages")
    packages = [p.strip() for p in packages.split(",") if p.strip()] if packages else config.getini(
        "tflint_vars_packages")
    config.pluginmanager.register(
        Watcher(config.rootpath, packages, fail=bool(_option(config, "tflint_vars_fail")),
                report=config.getoption("tflint_vars_report")), "tflint-vars-watcher")
