"""Writes seed1_layer.ipynb with nbformat (as Jupyter would): seed 1's example split into code cells, with a
markdown cell, IPython line magics and a shell escape, a `%%bash` cell, a `%%time` cell, outputs (non-ASCII text
and an image) and cell and notebook metadata. Run: `.venv/bin/python tests/data/notebooks/make_seed1_layer.py`."""

from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent

import nbformat
from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell, new_raw_cell, new_output

seed = open(ROOT / "fixtures" / "seed1_variable_in_init.py").read().split("\n")
# lines 1 / 3-12 / 14-28 (1-based) of the seed, blank lines 2 and 13 are the cell boundaries
imports = seed[0]
layer = "\n".join(seed[2:12])
rest = "\n".join(seed[13:28])
nb = new_notebook(metadata={
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "version": "3.11.9", "mimetype": "text/x-python",
                      "file_extension": ".py", "pygments_lexer": "ipython3"},
    "colab": {"provenance": []},
})
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
nb.cells = [
    new_markdown_cell("# Seed 1 in a notebook\n\n"
                      "A layer that creates `tf.Variable`s in `__init__` — untracked under Keras 3.", id="intro"),
    new_code_cell("%matplotlib inline\n!pip install --quiet tensorflow\n" + imports, id="imports", execution_count=1,
                  outputs=[new_output("stream", name="stdout", text="Requirement already satisfied: tensorflow\n")],
                  metadata={"tags": ["setup"]}),
    new_code_cell(layer, id="layer", execution_count=2, metadata={"collapsed": False}),
    new_code_cell("%%bash\necho 'self.v = tf.Variable(1.0)' > /tmp/not_python.txt", id="shell", execution_count=3),
    new_code_cell("%%time\n" + rest + "\nlayer?", id="train", execution_count=4, outputs=[
        new_output("stream", name="stdout", text="Layer trainable variables: []\nÜberprüfung ✓ 学习\n"),
        new_output("execute_result", execution_count=4,
                   data={"text/plain": "<tf.Variable 'UnreadVariable' shape=() dtype=int64, numpy=1>"}),
        new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure size 640x480 with 1 Axes>"},
                   metadata={"needs_background": "light"}),
    ]),
    new_raw_cell("self.w = tf.Variable(0.0)  # a raw cell: never checked", id="raw"),
]
nbformat.validate(nb)
nbformat.write(nb, HERE / "seed1_layer.ipynb")
