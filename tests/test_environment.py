"""Whole-environment resolution (tflint_vars.environment, tflint_vars.project): base classes from installed packages
on the sys.path of the interpreter running tflint-vars (PYTHONPATH included) or of `--python`, read without being
imported; TensorFlow star-imported by a project module; script-directory roots; the result cache's answers; the CLI
and flake8 agreeing. Real interpreters, real venvs, real files; a line marked `# expect` must be reported (TFV001),
and no other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import ROOT
from test_project import check, expected, layer, write

KERAS_SELF_ATTENTION = ROOT / "tests" / "data" / "keras-self-attention-0.51.0.tar.gz"  # see tests/data/README.md

# An installed package in the style of params-flow: `Layer` derives from a Keras layer in a submodule, re-exported.
FLOW = {
    "flowpkg/__init__.py": "from flowpkg.layer import Layer\nfrom .graph import Node\n",
    "flowpkg/layer.py": "from tensorflow import keras\n\n\nclass Layer(keras.layers.Layer):\n    pass\n",
    "flowpkg/graph.py": "class Node(object):\n    pass\n\n\nclass Layer(Node):\n    pass\n",
}
USER = {
    "pyproject.toml": "",
    "model.py": "import tensorflow as tf\nimport flowpkg\nfrom flowpkg import graph\n"
                + layer("Scale", "flowpkg.Layer") + layer("Plain", "flowpkg.Node", False)
                + layer("GraphLayer", "graph.Layer", False),
}


def run(root: Path, *args: str, pythonpath: str | None = None, cache: Path | None = None
        ) -> set[tuple[str, int]]:
    """TFV001 lines of `tflint-vars check` run in `root`, with `pythonpath` after this checkout on PYTHONPATH."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), pythonpath)))}
    if cache:
        env["TFLINT_VARS_CACHE_DIR"] = str(cache)
    result = subprocess.run([sys.executable, "-m", "tflint_vars", "check", "--output-format", "json",
                             *([] if cache else ["--no-cache"]), *args, "."], cwd=root, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    return {(Path(d["path"]).as_posix().removeprefix("./"), d["line"]) for d in json.loads(result.stdout)
            if d["code"] == "TFV001"}


def flake8_lines(root: Path, *args: str, pythonpath: str | None = None) -> set[tuple[str, int]]:
    """TFV001 lines of flake8 run in `root`, with `pythonpath` on its PYTHONPATH."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), pythonpath)))}
    result = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "TFV", "--format",
                             "%(path)s\t%(row)d\t%(code)s", *args, "."], cwd=root, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    return {(Path(path).as_posix().removeprefix("./"), int(row)) for path, row, code in
            (line.split("\t") for line in result.stdout.splitlines()) if code == "TFV001"}


@pytest.fixture
def site(tmp_path) -> Path:
    """A site directory holding the installed package (outside the checked project)."""
    directory = tmp_path / "site"
    write(directory, FLOW)
    return directory


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    write(root, USER)
    return root


def test_a_base_from_an_installed_package_on_pythonpath(site, project):
    assert run(project, pythonpath=str(site)) == expected(project) == {("model.py", 9)}
    assert run(project) == set()  # not installed: not known to be Keras


def test_flake8_and_the_cli_agree_on_installed_bases(site, project):
    assert flake8_lines(project, pythonpath=str(site)) == run(project, pythonpath=str(site)) == expected(project)


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory) -> Path:
    """A real venv (without pip: nothing is installed from an index) whose site-packages will hold `flowpkg`."""
    directory = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False, symlinks=True).create(directory)
    python = directory / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    write(Path(purelib), FLOW)
    return python


def test_python_option_resolves_in_that_interpreters_environment(venv_python, project):
    """`--python` (flake8: `--tflint-vars-python`) reads another environment's packages; the interpreter running
    tflint-vars does not have them."""
    assert run(project, "--python", str(venv_python)) == expected(project)
    assert flake8_lines(project, f"--tflint-vars-python={venv_python}") == expected(project)
    assert flake8_lines(project) == set()


def test_asking_the_interpreter_runs_nothing_of_the_project(venv_python, project, tmp_path):
    """The interpreter is asked from the checked project's directory, which `-c` puts first on its sys.path: a
    project module named like a standard one (`json.py`, `ast.py`) is not run."""
    markers = tmp_path / "markers"
    markers.mkdir()
    for name in ("json", "ast", "os", "site", "sitecustomize"):
        (project / f"{name}.py").write_text(f"open({str(markers / name)!r}, 'w').write('run')\nraise SystemExit(7)\n")
    assert run(project, "--python", str(venv_python)) == expected(project)
    assert sorted(os.listdir(markers)) == []


def test_a_missing_python_is_a_usage_error(project):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "tflint_vars", "check", "--python", str(project / "nope"), "."],
                            cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "--python" in result.stderr and "no such interpreter" in result.stderr


def test_a_real_installed_package(tmp_path):
    """keras-self-attention 0.51.0 (its sdist, vendored) installed by pip into a target directory: its layers
    derive from `tensorflow.keras.layers.Layer` through its own modules."""
    target = tmp_path / "target"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(KERAS_SELF_ATTENTION)], check=True, timeout=300,
                   capture_output=True)
    assert (target / "keras_self_attention" / "seq_self_attention.py").is_file()
    root = tmp_path / "project"
    write(root, {"attention.py": "import tensorflow as tf\nfrom keras_self_attention import SeqSelfAttention\n"
                                 "import keras_self_attention as ksa\n"
                                 + layer("Gated", "SeqSelfAttention") + layer("Weighted", "ksa.SeqWeightedAttention")})
    assert run(root, pythonpath=str(target)) == expected(root) == {("attention.py", 9), ("attention.py", 15)}


def interpreter_logging_its_runs(directory: Path, log: Path) -> Path:
    """An interpreter that notes each start in `log`, then runs the real one: how often tflint-vars asks it."""
    wrapper = directory / "python-logged"
    wrapper.write_text(f"#!/bin/sh\necho run >> '{log}'\nexec '{sys.executable}' \"$@\"\n")
    wrapper.chmod(0o755)
    return wrapper


def test_the_cache_remembers_the_sys_path_and_the_installed_modules(site, project, tmp_path):
    """Asked once: a warm run neither asks the interpreter nor reads the package again. Installing a package (the
    site directory changes) asks again; an installed base that stops being Keras rechecks its users."""
    cache, log = tmp_path / "cache", tmp_path / "runs.log"
    python = interpreter_logging_its_runs(tmp_path, log)
    args = ("--python", str(python))
    assert run(project, *args, pythonpath=str(site), cache=cache) == expected(project)
    assert log.read_text().count("run") == 1
    assert run(project, *args, pythonpath=str(site), cache=cache) == expected(project)
    assert log.read_text().count("run") == 1  # warm: the remembered sys.path still holds
    write(site, {"otherpkg/__init__.py": ""})  # a package installed: the directory's mtime changes
    assert run(project, *args, pythonpath=str(site), cache=cache) == expected(project)
    assert log.read_text().count("run") == 2
    layer_module = site / "flowpkg" / "layer.py"
    layer_module.write_text(layer_module.read_text().replace("(keras.layers.Layer)", "(object)"))
    assert run(project, *args, pythonpath=str(site), cache=cache) == set() == run(project, pythonpath=str(site))


def test_tensorflow_star_imported_by_a_project_module(tmp_path):
    """`from pkg import compat as tf` where pkg/compat.py star-imports TensorFlow, directly or through another
    module: its `tf.Variable`, `tf.compat.v1.get_variable` and bases are TensorFlow's; a module that does not
    star-import TensorFlow is not."""
    write(tmp_path, {
        "pyproject.toml": "",
        "pkg/__init__.py": "",
        "pkg/compat.py": "from tensorflow.compat.v2 import *\n",
        "pkg/shim.py": "from .compat import *\n\n\ndef helper():\n    pass\n",
        "pkg/other.py": "import numpy\n\n\ndef Variable(x):\n    return x\n",
        "pkg/users.py": "import tensorflow\nfrom pkg import compat as tf\nfrom pkg import shim as tf2\n"
                        "from pkg import other\nfrom pkg.compat import Variable\n\n\n"
                        "class A(tf.keras.layers.Layer):\n    def __init__(self):\n        super().__init__()\n"
                        "        self.v = tf.Variable(1.0)  # expect\n\n\n"
                        "class B(tensorflow.keras.layers.Layer):\n    def __init__(self):\n        super().__init__()\n"
                        "        self.v = tf2.Variable(1.0)  # expect\n        self.w = Variable(2.0)  # expect\n"
                        "        self.x = other.Variable(3.0)\n",
    })
    assert check(tmp_path) == expected(tmp_path) == {("pkg/users.py", 11), ("pkg/users.py", 17),
                                                      ("pkg/users.py", 18)}


def test_a_script_directory_holding_an_init_is_an_import_root(tmp_path):
    """`python main.py` run from efficientdet/ puts efficientdet/ on sys.path[0]: `from tf2 import x` is
    efficientdet/tf2, found also from a module of efficientdet/tf2 itself."""
    write(tmp_path, {
        "pyproject.toml": "",
        "efficientdet/__init__.py": "",
        "efficientdet/tf2/__init__.py": "",
        "efficientdet/tf2/efficientdet_keras.py": "import tensorflow as tf\n\n\n"
                                                  "class FNode(tf.keras.layers.Layer):\n    pass\n",
        "efficientdet/main.py": "import tensorflow as tf\nfrom tf2 import efficientdet_keras\n"
                                + layer("Head", "efficientdet_keras.FNode"),
        "efficientdet/tf2/train.py": "import tensorflow as tf\nfrom tf2.efficientdet_keras import FNode\n"
                                     + layer("Box", "FNode"),
    })
    assert check(tmp_path) == expected(tmp_path) == {("efficientdet/main.py", 8), ("efficientdet/tf2/train.py", 8)}


def test_framework_and_stdlib_bases_are_not_read_from_the_environment(tmp_path):
    """A base under tensorflow/keras/tf_keras that is not Keras by name, or from the standard library, is settled
    without reading the installed sources: the run never reads tensorflow's or the stdlib's modules."""
    from tflint_vars.project import ProjectIndex

    write(tmp_path, {"m.py": "import tensorflow as tf\nimport abc\n"
                             "class M(tf.Module):\n    pass\nclass A(abc.ABC):\n    pass\n"})
    index = ProjectIndex()
    importer = str(tmp_path / "m.py")
    assert index.resolve(importer, "tensorflow.Module") is None
    assert index.resolve(importer, "abc.ABC") is None
    assert index.read == {}
    assert index.environment._path is None  # sys.path never asked for



def test_the_cache_rechecks_a_file_when_its_tensorflow_module_changes(tmp_path):
    """What `tf` stands for is one of the file's dependencies: compat.py no longer star-importing TensorFlow makes the
    warm run check its user again."""
    write(tmp_path / "project", {
        "pyproject.toml": "",
        "pkg/__init__.py": "",
        "pkg/compat.py": "from tensorflow.compat.v1 import *\n",
        "pkg/users.py": "import tensorflow\nfrom pkg import compat as tf\n"
                        + layer("A", "tensorflow.keras.layers.Layer"),
    })
    root, cache = tmp_path / "project", tmp_path / "cache"
    assert run(root, cache=cache) == expected(root) == {("pkg/users.py", 8)}
    assert run(root, cache=cache) == expected(root)  # warm
    (root / "pkg" / "compat.py").write_text("def Variable(value):\n    return value\n")
    assert run(root, cache=cache) == set() == run(root)
