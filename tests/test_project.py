"""The project index: base classes resolved across a project's modules, in the CLI (cold, warm, one file) and flake8,
on real packages written to disk. A line marked `# expect` must be reported (TFV001), and no other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, check_json, read_index, run_flake8

VARIABLE = "        self.v = tf.Variable(1.0)"
EXPECTED = f"{VARIABLE}  # expect"


def layer(name: str, base: str, expected: bool = True) -> str:
    line = EXPECTED if expected else VARIABLE
    return f"\n\nclass {name}({base}):\n    def __init__(self):\n        super().__init__()\n{line}\n"


PROJECT = {
    "pyproject.toml": "",
    "pkg/__init__.py": "from .base import BaseLayer\nfrom .star_source import *\n",
    "pkg/base.py": "import tensorflow as tf\n\n\nclass BaseLayer(tf.keras.layers.Layer):\n    pass\n\n\n"
                   "class Layer:\n    pass\n",
    "pkg/star_source.py": "import keras\n\n\nclass StarBase(keras.layers.Layer):\n    pass\n",
    "pkg/deep/__init__.py": "",
    "pkg/deep/chain.py": "from ..base import BaseLayer\n\n\nclass One(BaseLayer):\n    pass\n",
    "pkg/deep/chain2.py": "from pkg.deep.chain import One as Renamed\n\n\nclass Two(Renamed):\n    pass\n",
    # An import cycle: each module imports the other; neither base is Keras, and the run must end.
    "pkg/cycle_a.py": "from pkg.cycle_b import B\n\n\nclass A(B):\n    pass\n",
    "pkg/cycle_b.py": "from pkg.cycle_a import A as B\n",
    "pkg/users.py": "import tensorflow as tf\nimport thirdparty\n"
                    "from pkg.base import BaseLayer\nfrom pkg import BaseLayer as Exported, StarBase\n"
                    "from .base import BaseLayer as Relative\nfrom . import base\nfrom .base import Layer\n"
                    "from .deep.chain2 import Two\nfrom .cycle_a import A\n"
                    + layer("Absolute", "BaseLayer") + layer("ReExported", "Exported")
                    + layer("RelativeBase", "Relative") + layer("ModuleAttribute", "base.BaseLayer")
                    + layer("Star", "StarBase") + layer("Chain", "Two")
                    + layer("UnrelatedLayer", "Layer", False) + layer("ThirdParty", "thirdparty.Layer", False)
                    + layer("Cycle", "A", False),
    # A namespace package (no __init__.py) and a src/ layout, imported from a tests/ directory.
    "src/nspkg/sub/base.py": "from tensorflow.keras import layers\n\n\nclass NsBase(layers.Layer):\n    pass\n",
    "tests/test_layers.py": "import tensorflow as tf\nfrom nspkg.sub.base import NsBase\n"
                            + layer("FromSrc", "NsBase"),
    # Module aliases.
    "aliases.py": "import tensorflow as tf\nK = tf.keras\nL = K.layers\n" + layer("Aliased", "L.Layer"),
}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def expected(root: Path) -> set[tuple[str, int]]:
    return {(path.relative_to(root).as_posix(), number) for path in root.rglob("*.py")
            for number, line in enumerate(path.read_text().splitlines(), 1) if line.endswith("# expect")}


def check(root: Path, *paths: str, cache: Path | None = None) -> set[tuple[str, int]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    args = [] if cache else ["--no-cache"]
    if cache:
        env["TFLINT_VARS_CACHE_DIR"] = str(cache)
    result = subprocess.run([sys.executable, "-m", "tflint_vars", "check", "--output-format", "json", *args,
                             *(paths or ["."])], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    return {(Path(d["path"]).as_posix().removeprefix("./"), d["line"]) for d in json.loads(result.stdout)
            if d["code"] == "TFV001"}


@pytest.fixture
def project(tmp_path) -> Path:
    write(tmp_path, PROJECT)
    return tmp_path


def test_bases_across_modules_every_import_form(project):
    found = check(project)
    assert found == expected(project)
    assert len(found) == 8  # Absolute ... Chain (6), FromSrc, Aliased; not UnrelatedLayer, ThirdParty, Cycle


def test_one_file_named_alone_resolves_through_the_files_on_disk(project):
    found = check(project, "pkg/users.py")
    assert found == {e for e in expected(project) if e[0] == "pkg/users.py"}


def test_flake8_reaches_the_same_answer(project):
    result = run_flake8("--select", "TFV", "--format", "%(path)s\t%(row)d\t%(code)s", ".", cwd=project)
    found = {(Path(path).as_posix().removeprefix("./"), int(row)) for path, row, code in
             (line.split("\t") for line in result.stdout.splitlines()) if code == "TFV001"}
    assert found == expected(project)


def test_a_base_changed_in_another_module_rechecks_its_users(project, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    assert check(project, cache=cache) == expected(project)
    assert check(project, cache=cache) == expected(project)  # warm
    base = project / "pkg" / "base.py"
    base.write_text(base.read_text().replace("(tf.keras.layers.Layer)", "(object)"))
    users = (project / "pkg" / "users.py").read_text().splitlines()
    star = ("pkg/users.py", users.index("class Star(StarBase):") + 4)
    # Every user of BaseLayer, directly or through the chain, is no longer a Keras layer; Star's base is elsewhere.
    after = {e for e in expected(project) if e[0] != "pkg/users.py"} | {star}
    assert check(project, cache=cache) == after == check(project)
    base.write_text(base.read_text().replace("(object)", "(tf.keras.layers.Layer)"))
    assert check(project, cache=cache) == expected(project)


def test_the_cache_remembers_dependencies_and_summaries(project, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    check(project, cache=cache)
    [index] = cache.glob("index-*.json")
    data = read_index(index)
    users = data["files"][str(project / "pkg" / "users.py")]
    assert users[4]["pkg.base.BaseLayer"] == ["keras3", "layer"]
    assert users[4]["thirdparty.Layer"] is None
    assert str(project / "pkg" / "base.py") in data["modules"]


def test_an_import_cycle_of_re_exports_ends(tmp_path):
    write(tmp_path, {
        "pkg/__init__.py": "from .a import *\n",
        "pkg/a.py": "from pkg import *\nfrom .b import *\n",
        "pkg/b.py": "from .a import Missing as Base\nfrom pkg import Other\n",
        "pkg/user.py": "import tensorflow as tf\nfrom pkg import Base, Other\n" + layer("X", "Base", False)
                       + layer("Y", "Other", False) + layer("Z", "Nowhere", False),
    })
    assert check(tmp_path) == set()


def test_a_relative_import_above_the_top_package_is_not_followed(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/m.py": "import tensorflow as tf\nfrom ...x import Base\n"
                     + layer("X", "Base", False)})
    assert check(tmp_path) == set()


@pytest.mark.parametrize("source", [
    textwrap.dedent("""\
        import tensorflow as tf
        v1 = tf.compat.v1


        class L(tf.keras.layers.Layer):
            def build(self, input_shape):
                self.w = v1.get_variable("w", shape=(1,))
        """),
])
def test_a_module_alias_of_compat_v1_is_followed(tmp_path, source):
    (tmp_path / "m.py").write_text(source)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "tflint_vars", "check", "--no-cache", "--output-format", "json",
                             "m.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert [(d["code"], d["line"]) for d in json.loads(result.stdout)] == [("TFV004", 7)]


def test_a_namespace_package_without_a_project_marker(tmp_path):
    """No pyproject.toml, no __init__.py: `from pkg.base import ...` is found in the directory above the package,
    as Python finds it when run from there."""
    write(tmp_path, {"pkg/base.py": "import tensorflow as tf\n\n\nclass BaseLayer(tf.keras.layers.Layer):\n    pass\n",
                     "pkg/layers.py": "import tensorflow as tf\nfrom pkg.base import BaseLayer\n"
                                      + layer("Scale", "BaseLayer")})
    assert check(tmp_path) == expected(tmp_path) == {("pkg/layers.py", 8)}


def test_a_helper_returning_a_variable_is_found_through_re_exports_and_stars(tmp_path):
    """`self.w = make_w()` where `make_w` returns a raw variable in another module, imported directly, through the
    package's re-export or a star import: reported (TFV001) by the CLI and flake8 alike; a helper that returns
    something else is not."""
    helper = "import tensorflow as tf\n\n\ndef make_w():\n    return tf.Variable(1.0)\n\n\ndef make_x():\n    " \
             "return tf.constant(1.0)\n"
    user = ("import tensorflow as tf\nfrom hp import make_w as exported\nfrom hp.helpers import make_w, make_x\n"
            "from hp.star import *\n\n\nclass L(tf.keras.layers.Layer):\n    def __init__(self):\n"
            "        super().__init__()\n        self.a = make_w()  # expect\n        self.b = exported()  # expect\n"
            "        self.c = starred()  # expect\n        self.d = make_x()\n")
    write(tmp_path, {"pyproject.toml": "", "hp/__init__.py": "from .helpers import make_w\n",
                     "hp/helpers.py": helper, "hp/star.py": "from .helpers import make_w as starred\n",
                     "user.py": user})
    expected = [i + 1 for i, line in enumerate(user.splitlines()) if line.endswith("# expect")]
    found = check_json("--no-cache", "user.py", cwd=tmp_path)
    assert sorted(d["line"] for d in found if d["code"] == "TFV001") == expected
    assert all("returns a `tf.Variable`" in d["message"] for d in found if d["code"] == "TFV001")
    flake8 = run_flake8("--select", "TFV", "--format", "%(row)d %(code)s", "user.py", cwd=tmp_path)
    assert sorted(int(line.split()[0]) for line in flake8.stdout.splitlines() if "TFV001" in line) == expected


def test_a_held_object_of_a_class_from_another_module_is_followed(tmp_path):
    """`self.states = self.cell.initial_states(n)` where `Cell` comes from another module of the project (directly,
    re-exported by the package, or by a star import) and its `initial_states` returns raw variables: reported where
    the layer keeps them (TFV003), naming the method, by the CLI and flake8 alike. `Cell` itself never keeps them:
    not reported in its own module (a factory for its callers). A method returning something else is not."""
    cells = ("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n\n\n"
             "class Cell(tf.keras.layers.Layer):\n    def initial_states(self, n):\n"
             "        return [K.zeros((n, 2)), K.zeros((n, 2))]\n\n    def one(self):\n"
             "        return tf.Variable(1.0)\n\n    def other(self):\n        return tf.constant(1.0)\n")
    user = ("import tensorflow as tf\nfrom hp.cells import Cell\nfrom hp import Cell as Exported\n"
            "from hp.star import *\nfrom hp import cells\n\n\nclass L(tf.keras.layers.Layer):\n"
            "    def build(self, s):\n        self.cell = Cell()\n"
            "        self.a = self.cell.initial_states(1)  # expect\n"
            "        b = Exported()\n        self.b = b.one()  # expect\n        c = Starred()\n"
            "        self.c = c.initial_states(2)  # expect\n        d = cells.Cell()\n"
            "        self.d = d.initial_states(2)  # expect\n        self.e = self.cell.other()\n")
    write(tmp_path, {"pyproject.toml": "", "hp/__init__.py": "from .cells import Cell\n", "hp/cells.py": cells,
                     "hp/star.py": "from .cells import Cell as Starred\n", "user.py": user})
    expected = [i + 1 for i, line in enumerate(user.splitlines()) if line.endswith("# expect")]
    found = check_json("--no-cache", "user.py", "hp/cells.py", cwd=tmp_path)
    assert sorted(d["line"] for d in found if d["code"] == "TFV003" and d["path"].endswith("user.py")) == expected
    assert not [d for d in found if d["path"].endswith("cells.py")]
    messages = sorted(d["message"] for d in found if d["code"] == "TFV003")
    assert messages[0].startswith("`b.one` returns a `tf.Variable` that `L.build` keeps")
    assert "`self.cell.initial_states` returns `backend.zeros` variables that `L.build` keeps" in messages[-1]
    flake8 = run_flake8("--select", "TFV", "--format", "%(row)d %(code)s", "user.py", cwd=tmp_path)
    assert sorted(int(line.split()[0]) for line in flake8.stdout.splitlines() if "TFV003" in line) == expected
