"""Counter-examples from the review of the third session's fixes (issue 17): real layer code on which an earlier
draft applied a SAFE fix that changed what the layer does (a crash, a changed shape or dtype, a shared draw split),
measured under both runtimes by the reviewer. None of them may get a safe fix of the rule named (TFV010's case now
has no finding: the shape it tests is no longer what Keras passes). Run through the engine, as the CLI does."""

from __future__ import annotations

import pytest

from tflint_vars.diagnostics import SAFE
from tflint_vars.engine import check_source

# name: (module text, the rule whose fix must not be safe here)
CASES = {
    # `self.b is not None` beside a numpy operand: `self.b` is also set to None
    'a1': (
        'import numpy as np\n'
        'import tensorflow as tf\n'
        '\n'
        '\n'
        'class Scale(tf.keras.layers.Layer):\n'
        '    def __init__(self, use_bias=True, **kwargs):\n'
        '        super().__init__(**kwargs)\n'
        '        self.use_bias = use_bias\n'
        '\n'
        '    def build(self, input_shape):\n'
        '        self.b = None\n'
        '        if self.use_bias:\n'
        '            self.b = tf.Variable(tf.zeros((3,)), name="b")\n'
        '\n'
        '    def call(self, x):\n'
        '        if self.b is not None:\n'
        '            x = x + self.b * np.float32(0.5)\n'
        '        return x\n',
        'TFV003'),
    # an alias of the weight whose `.get_shape()` is called
    'a2': (
        'import tensorflow as tf\n'
        '\n'
        '\n'
        'class Proj(tf.keras.layers.Layer):\n'
        '    def build(self, input_shape):\n'
        '        self.w = tf.Variable(tf.zeros((4, 3)), name="w")\n'
        '\n'
        '    def call(self, x):\n'
        '        n = self.w.get_shape()[0]\n'
        '        w = self.w\n'
        '        m = w.get_shape()[1]\n'
        '        return tf.matmul(x[:, :n], w) + tf.cast(m, x.dtype)\n',
        'TFV003'),
    # `getattr(self, 'w').get_shape()` and a lambda
    'a3': (
        'import tensorflow as tf\n'
        '\n'
        '\n'
        'class Proj(tf.keras.layers.Layer):\n'
        '    def build(self, input_shape):\n'
        '        self.w = tf.Variable(tf.zeros((4, 3)), name="w")\n'
        '\n'
        '    def call(self, x):\n'
        '        n = self.w.get_shape()[0]\n'
        '        m = getattr(self, "w").get_shape()[1]\n'
        '        k = (lambda v: v.get_shape()[1])(self.w)\n'
        '        return tf.matmul(x[:, :n], self.w) + tf.cast(m + k, x.dtype)\n',
        'TFV003'),
    # a property returning the weight, whose `.get_shape()` is called
    'a4': (
        'import tensorflow as tf\n'
        '\n'
        '\n'
        'class Proj(tf.keras.layers.Layer):\n'
        '    def build(self, input_shape):\n'
        '        self.w = tf.Variable(tf.zeros((4, 3)), name="w")\n'
        '\n'
        '    @property\n'
        '    def kernel(self):\n'
        '        return self.w\n'
        '\n'
        '    def call(self, x):\n'
        '        n = self.kernel.get_shape()[0]\n'
        '        return tf.matmul(x[:, :n], self.w)\n',
        'TFV003'),
    # `self.g.value()`: a property under Keras 3
    'a5': (
        'import tensorflow as tf\n'
        '\n'
        '\n'
        'class Gate(tf.keras.layers.Layer):\n'
        '    def build(self, input_shape):\n'
        '        self.g = tf.Variable(tf.ones((input_shape[-1],)), name="g")\n'
        '\n'
        '    def call(self, x):\n'
        '        return x * self.g.value()\n',
        'TFV003'),
    # `self.trainable_weights` meeting numpy values
    'a6': (
        'import numpy as np\n'
        'import tensorflow as tf\n'
        '\n'
        '\n'
        'class Gain(tf.keras.layers.Layer):\n'
        '    def build(self, input_shape):\n'
        '        self.g = tf.Variable(tf.ones((int(input_shape[-1]),)), name="g")\n'
        '\n'
        '    def call(self, x):\n'
        '        return x * (self.g * np.float32(2.0))\n'
        '\n'
        '    def l2(self):\n'
        '        return sum(tf.reduce_sum(np.sqrt(2.0) * v * v) for v in self.trainable_weights)\n',
        'TFV003'),
    # `getattr(self, 'g')` meeting a numpy float64
    'a7': (
        'import numpy as np\n'
        'import tensorflow as tf\n'
        '\n'
        '\n'
        'class Gain(tf.keras.layers.Layer):\n'
        '    def build(self, input_shape):\n'
        '        self.g = tf.Variable(tf.ones((int(input_shape[-1]),)), name="g")\n'
        '\n'
        '    def call(self, x):\n'
        '        g = getattr(self, "g")\n'
        '        return x * (self.g * np.float32(2.0)) + x * (g * np.sqrt(2.0))\n',
        'TFV003'),
    # one draw shared by variables made in a loop
    'b1': (
        'import tensorflow as tf\n'
        '\n'
        '\n'
        'class Heads(tf.keras.layers.Layer):\n'
        '    def build(self, input_shape):\n'
        '        w_init = tf.random.normal((int(input_shape[-1]), 4), stddev=0.02)\n'
        '        self.heads = []\n'
        '        for i in range(3):\n'
        '            self.heads.append(tf.Variable(w_init, name=f"head{i}"))\n'
        '\n'
        '    def call(self, x):\n'
        '        return [tf.matmul(x, h) for h in self.heads]\n',
        'TFV003'),
    # `self.units` doubled between the draw and the variable
    'b3': (
        'import tensorflow as tf\n'
        '\n'
        '\n'
        'class Grow(tf.keras.layers.Layer):\n'
        '    def __init__(self, units, **kwargs):\n'
        '        super().__init__(**kwargs)\n'
        '        self.units = units\n'
        '\n'
        '    def build(self, input_shape):\n'
        '        w_init = tf.random.normal((int(input_shape[-1]), self.units), stddev=0.02)\n'
        '        self.units = self.units * 2\n'
        '        self.w = tf.Variable(w_init, name="w")\n'
        '\n'
        '    def call(self, x):\n'
        '        return tf.matmul(x, self.w)\n',
        'TFV003'),
    # a `global` local read by other code
    'b7': (
        'import tensorflow as tf\n'
        '\n'
        'w_init = None\n'
        '\n'
        '\n'
        'class G(tf.keras.layers.Layer):\n'
        '    def build(self, input_shape):\n'
        '        global w_init\n'
        '        w_init = tf.random.normal((int(input_shape[-1]),), stddev=0.1)\n'
        '        self.w = tf.Variable(w_init, name="w")\n'
        '\n'
        '    def call(self, x):\n'
        '        return x + self.w\n'
        '\n'
        '\n'
        'def reset(layer):\n'
        '    layer.w.assign(w_init)\n',
        'TFV003'),
    # the shape rebound with `.as_list()` before the test
    'd1': (
        'import tensorflow as tf\n'
        '\n'
        '\n'
        'class Feat(tf.keras.layers.Layer):\n'
        '    def build(self, input_shape):\n'
        '        if isinstance(input_shape, tf.TensorShape):\n'
        '            input_shape = input_shape.as_list()\n'
        '        if isinstance(input_shape, (list, tuple)):\n'
        '            dim = input_shape[-1]\n'
        '        else:\n'
        '            dim = input_shape\n'
        '        self.w = self.add_weight(name="w", shape=(dim, 2))\n'
        '\n'
        '    def call(self, x):\n'
        '        return tf.matmul(x, self.w)\n',
        'TFV010'),
    # `__init__` calls `self(...)`
    'e1': (
        'import tensorflow as tf\n'
        'from tensorflow.keras import layers\n'
        '\n'
        '\n'
        'class Net(tf.keras.Model):\n'
        '    def __init__(self, rate=0.2, **kwargs):\n'
        '        super().__init__(**kwargs)\n'
        '        self.rate = rate\n'
        '        self.dense = layers.Dense(4)\n'
        '        self(tf.zeros((1, 3)))  # create the weights now\n'
        '\n'
        '    def call(self, x, training=None):\n'
        '        x = self.dense(x)\n'
        '        return layers.Dropout(self.rate)(x, training=training)\n',
        'TFV006'),
    # `__init__` calls `self.build`, whose build calls `call`
    'e2': (
        'import tensorflow as tf\n'
        'from tensorflow.keras import layers\n'
        '\n'
        '\n'
        'class Block(layers.Layer):\n'
        '    def __init__(self, rate=0.2, **kwargs):\n'
        '        super().__init__(**kwargs)\n'
        '        self.rate = rate\n'
        '        self.dense = layers.Dense(4)\n'
        '        self.build((None, 3))\n'
        '\n'
        '    def build(self, input_shape):\n'
        '        self.dense.build(input_shape)\n'
        '        self.probe = self.call(tf.zeros((1, 3)))\n'
        '\n'
        '    def call(self, x, training=None):\n'
        '        return layers.Dropout(self.rate)(self.dense(x), training=training)\n',
        'TFV006'),
    # the rate set from outside the class
    'e3': (
        'import tensorflow as tf\n'
        'from tensorflow.keras import layers\n'
        '\n'
        '\n'
        'class MCDropout(layers.Layer):\n'
        '    def __init__(self, rate=0.5, **kwargs):\n'
        '        super().__init__(**kwargs)\n'
        '        self.rate = rate\n'
        '\n'
        '    def call(self, x):\n'
        '        return layers.Dropout(self.rate)(x, training=True)\n'
        '\n'
        '\n'
        'def disable_mc(model_layer):\n'
        '    model_layer.rate = 0.0\n',
        'TFV006'),
    # `__init__` calls `self.build`
    'e5': (
        'import tensorflow as tf\n'
        'from tensorflow.keras import layers\n'
        '\n'
        '\n'
        'class Eager(layers.Layer):\n'
        '    def __init__(self, units=4, rate=0.2, **kwargs):\n'
        '        super().__init__(**kwargs)\n'
        '        self.units = units\n'
        '        self.rate = rate\n'
        '        self.build((None, 3))\n'
        '\n'
        '    def build(self, input_shape):\n'
        '        self.w = self.add_weight(name="w", shape=(input_shape[-1], self.units))\n'
        '\n'
        '    def call(self, x, training=None):\n'
        '        return layers.Dropout(self.rate)(tf.matmul(x, self.w), training=training)\n',
        'TFV006'),
    # the arguments stored with `setattr(self, ...)`
    'f1': (
        'import tensorflow as tf\n'
        '\n'
        '\n'
        'class Cell(tf.keras.layers.Layer):\n'
        '    def __init__(self, units=4, state_dtype=tf.float32, **kwargs):\n'
        '        super().__init__(**kwargs)\n'
        '        for key, value in dict(locals()).items():\n'
        '            if key not in ("self", "kwargs", "__class__"):\n'
        '                setattr(self, key, value)\n'
        '\n'
        '    def call(self, x):\n'
        '        if self.state_dtype.is_floating:\n'
        '            return x * 2.0\n'
        '        return x\n',
        'TFV017'),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_safe_fix_where_the_review_found_one_wrong(name):
    text, code = CASES[name]
    found = [d for d in check_source(text.encode(), f"{name}.py") if d.code == code]
    assert not [d for d in found if d.fix == SAFE], [(d.line, d.fix_reason) for d in found]
