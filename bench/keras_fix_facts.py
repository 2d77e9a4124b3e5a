"""The Keras behaviour the fixes' safety preconditions rest on, measured under the running runtime.

python bench/keras_fix_facts.py                          # Keras 3 (tf.keras in TensorFlow 2.21)
TF_USE_LEGACY_KERAS=1 python bench/keras_fix_facts.py    # Keras 2 (tf-keras 2.21)

Prints one line per fact: `name: result` (the value, or the exception type and the start of its message). The rules'
"Fix safety" sections cite these names.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from _facts import fact, print_results  # noqa: E402  (bench/ is sys.path[0])

keras = tf.keras


def layer(dtype=None, **kwargs):
    return keras.layers.Layer(dtype=dtype, **kwargs) if dtype else keras.layers.Layer(**kwargs)


@fact("scalar_shape")
def _():
    return tuple(layer().add_weight(name="w", shape=4, initializer="zeros").shape)


@fact("tensorshape_of_int_shape")
def _():
    return tuple(layer().add_weight(name="w", shape=tf.TensorShape(4), initializer="zeros").shape)


@fact("slash_in_name")
def _():
    return layer().add_weight(name="a/b", shape=(2,), initializer="zeros").name


@fact("duplicate_names_tracked")
def _():
    instance = layer()
    instance.add_weight(name="w", shape=(2,), initializer="zeros")
    instance.add_weight(name="w", shape=(2,), initializer="zeros")
    return len(instance.weights)


@fact("none_dim_shape")
def _():
    return tuple(layer().add_weight(name="w", shape=(None, 3), initializer="zeros").shape)


@fact("int_weight_trainable_default")
def _():
    w = layer().add_weight(name="w", shape=(2,), dtype="int32", initializer="zeros")
    return (w.dtype if isinstance(w.dtype, str) else w.dtype.name, bool(w.trainable))


@fact("int_weight_trainable_false")
def _():
    w = layer().add_weight(name="w", shape=(2,), dtype="int32", initializer="zeros", trainable=False)
    return w.dtype if isinstance(w.dtype, str) else w.dtype.name


@fact("raw_int_variable_in_trainable_weights")
def _():
    class L(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.v = tf.Variable(0)
    return len(L().trainable_weights)


@fact("int_random_uniform_float_bounds")
def _():
    return layer().add_weight(name="w", shape=(2,), dtype="int32", trainable=False,
                              initializer=keras.initializers.RandomUniform(minval=0.0, maxval=1000.0)).numpy().tolist()


@fact("int_random_uniform_int_bounds")
def _():
    return layer().add_weight(name="w", shape=(2,), dtype="int32", trainable=False,
                              initializer=keras.initializers.RandomUniform(minval=0, maxval=1000)).numpy().dtype.name


@fact("float64_layer_default_weight_dtype")
def _():
    return layer("float64").add_weight(name="w", shape=(2,), initializer="zeros").dtype


@fact("float64_layer_explicit_float32")
def _():
    return layer("float64").add_weight(name="w", shape=(2,), initializer="zeros", dtype="float32").dtype


def _read_in_call(autocast):
    class L(keras.layers.Layer):
        def build(self, input_shape):
            kwargs = {} if autocast is None else {"autocast": autocast}
            self.w = self.add_weight(name="w", shape=(2,), initializer="ones", dtype="float32", **kwargs)

        def call(self, x):
            return tf.cast(x, tf.float32) * self.w
    return L(dtype="mixed_float16")(tf.ones((1, 2))).dtype.name


@fact("mixed_float16_float32_weight_read_in_call")
def _():
    return _read_in_call(None)


@fact("mixed_float16_float32_weight_autocast_false")
def _():
    return _read_in_call(False)


@fact("mixed_float16_raw_variable_read_in_call")
def _():
    class L(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = tf.Variable(tf.ones((2,)))

        def call(self, x):
            return tf.cast(x, tf.float32) * self.w
    return L(dtype="mixed_float16")(tf.ones((1, 2))).dtype.name


@fact("add_weight_after_build")
def _():
    class L(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=(2,), initializer="zeros")

        def reset(self):
            self.w = self.add_weight(name="w", shape=(2,), initializer="zeros")

        def call(self, x):
            return x + self.w
    instance = L()
    instance(tf.ones((1, 2)))
    instance.reset()
    return len(instance.weights)


@fact("add_weight_before_super_init")
def _():
    class L(keras.layers.Layer):
        def __init__(self):
            self.w = self.add_weight(name="w", shape=(2,), initializer="zeros")
            super().__init__()
    return len(L().weights)


@fact("constant_list_value")
def _():
    return layer().add_weight(name="w", shape=(2, 2), initializer=keras.initializers.Constant([[1.0, 2.0], [3.0, 4.0]])
                              ).numpy().tolist()


@fact("constant_ndarray_value")
def _():
    return layer().add_weight(name="w", shape=(2,), dtype="float64",
                              initializer=keras.initializers.Constant(np.array([1.0, 2.0]))).numpy().tolist()


@fact("constant_scalar_broadcast")
def _():
    return layer().add_weight(name="w", shape=(2, 2), initializer=keras.initializers.Constant(3.0)).numpy().tolist()


@fact("constant_tensor_value")
def _():
    return layer().add_weight(name="w", shape=(2,), initializer=keras.initializers.Constant(tf.constant([1.0, 2.0]))
                              ).numpy().tolist()


@fact("callable_initializer_returning_value")
def _():
    value = np.array([1.0, 2.0])
    return layer().add_weight(name="w", shape=np.shape(value), dtype=tf.convert_to_tensor(value).dtype.name,
                              initializer=lambda shape, dtype=None: tf.cast(value, dtype)).numpy().tolist()


@fact("random_normal_initializer_stddev")
def _():
    return (tf.random_normal_initializer().stddev, keras.initializers.RandomNormal().stddev)



@fact("regularizer_add_weight_losses")
def _():
    instance = layer()
    instance.add_weight(name="w", shape=(2,), initializer="ones", regularizer=keras.regularizers.L2(0.1))
    return len(instance.losses)


@fact("get_variable_regularizer_in_layer_losses")
def _():
    class L(keras.layers.Layer):
        def build(self, input_shape):
            self.w = tf.compat.v1.get_variable("w", shape=(2,), initializer=tf.compat.v1.ones_initializer(),
                                               regularizer=lambda w: 0.1 * tf.reduce_sum(w * w))

        def call(self, x):
            return x * self.w
    instance = L()
    instance(tf.ones((1, 2)))
    return (len(instance.losses), len(instance.weights))


@fact("get_variable_regularizer_collection")
def _():
    # Where get_variable's regularization loss goes when a layer builds: (layer.losses, model.losses, whether TF1's
    # REGULARIZATION_LOSSES collection holds it, the model's fit loss above the plain loss).
    class L(keras.layers.Layer):
        def build(self, input_shape):
            self.w = tf.compat.v1.get_variable("w", shape=(2,), initializer=tf.compat.v1.ones_initializer(),
                                               regularizer=lambda w: 10.0 * tf.reduce_sum(w * w))

        def call(self, x):
            return x * self.w
    before = len(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES))
    model = keras.Sequential([keras.Input((2,)), L()])
    model.compile("sgd", "mse")
    history = model.fit(np.ones((4, 2), "float32"), np.ones((4, 2), "float32"), verbose=0, epochs=1)
    after = len(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES))
    return (len(model.layers[0].losses), len(model.losses), after > before, history.history["loss"][0] > 1.0)


@fact("raw_variable_constraint_in_fit")
def _():
    class L(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(tf.ones((2,)) * 5.0, constraint=lambda w: tf.clip_by_value(w, 0.0, 1.0))

        def call(self, x):
            return x * self.w
    model = keras.Sequential([keras.Input((2,)), L()])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 2)), verbose=0, epochs=1)
    return [round(float(v), 3) for v in model.layers[-1].w.numpy()]


@fact("add_weight_constraint_in_fit")
def _():
    class L(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=(2,), initializer=keras.initializers.Constant(5.0),
                                     constraint=lambda w: tf.clip_by_value(w, 0.0, 1.0))

        def call(self, x):
            return x * self.w
    model = keras.Sequential([keras.Input((2,)), L()])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 2)), verbose=0, epochs=1)
    return [round(float(v), 3) for v in model.layers[-1].w.numpy()]


@fact("add_weight_in_comprehension")
def _():
    class L(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.ws = [self.add_weight(name="w", shape=(2,), initializer="zeros") for _ in range(3)]
    return len(L().weights)


@fact("add_weight_synchronization_aggregation")
def _():
    return str(layer().add_weight(name="w", shape=(2,), initializer="zeros", trainable=False,
                                  synchronization=tf.VariableSynchronization.ON_READ,
                                  aggregation=tf.VariableAggregation.MEAN).aggregation)


@fact("raw_variable_name_in_keras2")
def _():
    class L(keras.layers.Layer):
        def __init__(self):
            super().__init__(name="lay")
            self.w = tf.Variable(tf.zeros((2,)), name="w")
    return L().weights[0].name if L().weights else None


@fact("add_weight_name_path")
def _():
    instance = keras.layers.Layer(name="lay")
    w = instance.add_weight(name="w", shape=(2,), initializer="zeros")
    return (w.name, getattr(w, "path", None))


@fact("string_initializer_dtype_bool")
def _():
    return layer().add_weight(name="w", shape=(2,), dtype="bool", initializer="zeros", trainable=False).numpy().tolist()


@fact("numpy_float64_operand")
def _():
    # (add_weight * np.sqrt(2.0), np.sqrt(2.0) * add_weight, tf.Variable * np.sqrt(2.0), add_weight * np.float32,
    #  add_weight * np.ones(2), add_weight * float(np.sqrt(2.0))): the product's dtype.
    weight = layer().add_weight(name="w", shape=(2,), initializer="ones", dtype="float32", autocast=False)
    raw = tf.Variable(tf.ones((2,)))
    products = (weight * np.sqrt(2.0), np.sqrt(2.0) * weight, raw * np.sqrt(2.0), weight * np.float32(2.0),
                weight * np.ones(2), weight * float(np.sqrt(2.0)))
    return tuple(tf.as_dtype(p.dtype).name for p in products)


@fact("tensor_read_numpy_operand")
def _():
    # tf.convert_to_tensor(add_weight) (the fix's read) with numpy values: (* np.sqrt(2.0), np.sqrt(2.0) *,
    # * np.ones(2), np.float32(0.9) * in a traced step, .get_shape()): the product's dtype, the traced result, the
    # shape; then whether the gradient reaches the weight through the read and a fit step changes it.
    weight = layer().add_weight(name="w", shape=(2,), initializer="ones", dtype="float32", autocast=False)
    read = tf.convert_to_tensor(weight)
    products = (read * np.sqrt(2.0), np.sqrt(2.0) * read, read * np.ones(2))
    traced = tf.function(lambda: np.float32(0.9) * tf.convert_to_tensor(weight))()

    class Scaled(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=(2,), initializer="ones")

        def call(self, x):
            return x * (tf.convert_to_tensor(self.w) * np.sqrt(2.0))

    model = keras.Sequential([keras.Input((2,)), Scaled()])
    model.compile("sgd", "mse")
    before = model.layers[-1].w.numpy().tolist()
    with tf.GradientTape() as tape:
        out = tf.reduce_sum(model(tf.ones((1, 2))))
    gradient = tape.gradient(out, model.layers[-1].trainable_weights)[0]
    model.fit(np.ones((2, 2), "float32"), np.zeros((2, 2), "float32"), verbose=0)
    return (tuple(tf.as_dtype(p.dtype).name for p in products), tf.as_dtype(traced.dtype).name,
            tuple(read.get_shape().as_list()), gradient is not None, before != model.layers[-1].w.numpy().tolist())


@fact("recreated_in_reset_traced_fit")
def _():
    """A layer whose public `reset()` makes its state variable again (the original, raw tf.Variable) or, as the
    fix writes it, makes the weight the first time and assigns it after: fit, reset, fit; the attribute's value after
    each step, for (original, fixed). (Runs before
    `computed_value_in_trace`, whose failing case leaves Keras 3 holding an out-of-scope tensor.)"""
    results = []
    for fixed in (False, True):
        class Memory(keras.layers.Layer):
            as_fixed = fixed

            def reset(self):
                if not self.as_fixed:
                    self.memory = tf.Variable(tf.zeros((3,)), trainable=False, name="memory")
                elif hasattr(self, "memory"):
                    self.memory.assign(tf.zeros((3,)))
                else:
                    self.memory = self.add_weight(name="memory", shape=(3,), initializer="zeros", trainable=False)

            def build(self, input_shape):
                self.reset()

            def call(self, x):
                self.memory.assign(0.9 * self.memory + 0.1 * tf.reduce_mean(x, axis=0))
                return x + tf.stop_gradient(self.memory)

        try:
            layer = Memory(dtype="float32")  # whatever policy another fact left
            model = keras.Sequential([keras.Input((3,)), layer])
            model.compile("sgd", "mse")
            data = (np.ones((4, 3), "float32"), np.zeros((4, 3), "float32"))
            model.fit(*data, verbose=0)
            first = float(layer.memory.numpy()[0])
            layer.reset()
            model.fit(*data, verbose=0)
            results.append((round(first, 3), round(float(layer.memory.numpy()[0]), 3)))
        except Exception as error:  # the original under Keras 3
            results.append(type(error).__name__)
    return results


@fact("squeeze_without_axis_output")
def _():
    # A layer whose call returns tf.squeeze(x) (no axis), x of shape (None, 1, 3), in a functional model; then the
    # same with axis=1: the functional output's shape, or the error.
    results = []
    for axis in (None, 1):
        class Squeeze(keras.layers.Layer):
            squeeze_axis = axis

            def call(self, x):
                return tf.squeeze(x) if self.squeeze_axis is None else tf.squeeze(x, axis=self.squeeze_axis)

        try:
            inputs = keras.Input((1, 3))
            outputs = Squeeze()(inputs)
            keras.Model(inputs, outputs)
            results.append(str(outputs.shape))
        except Exception as error:
            results.append((type(error).__name__, "Could not automatically infer the output shape" in str(error)))
    return tuple(results)


@fact("initializer_draw_in_nested_build")
def _():
    # A layer whose build keeps an initializer's draw (`self.w = init(shape)`, deepchem's LSTMStep), built inside
    # another layer's call (plain, inside `with tf.init_scope():`): (its type, weights, eager call, fit) or the error.
    results = []
    for scoped in (False, True):
        class Inner(keras.layers.Layer):
            in_scope = scoped

            def build(self, input_shape):
                init = keras.initializers.get("glorot_uniform")
                if self.in_scope:
                    with tf.init_scope():
                        self.w = init((3, 2))
                else:
                    self.w = init((3, 2))

            def call(self, x):
                return tf.matmul(x, self.w)

        class Outer(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.inner = Inner()

            def call(self, x):
                return self.inner(x)

        try:
            model = keras.Sequential([keras.Input((3,)), Outer(), keras.layers.Dense(1)])
            eager = tuple(model(np.ones((2, 3), "float32")).shape)
            model.compile("sgd", "mse")
            model.fit(np.ones((4, 3), "float32"), np.zeros((4, 1), "float32"), verbose=0)
            inner = model.layers[0].inner
            results.append((type(inner.w).__name__, len(inner.weights), eager))
        except Exception as error:
            results.append((type(error).__name__, "out of scope" in str(error)))
    return tuple(results)


@fact("computed_value_in_trace")
def _():
    # An RNN cell built inside a layer's call (Keras 3 builds it in a scratch graph): a value computed in build
    # filling a Constant initializer, (plain, evaluated inside tf.init_scope()): the output's shape or the error.
    results = []
    for scoped in (False, True):
        class Cell(keras.layers.Layer):
            state_size = 2
            in_scope = scoped

            def build(self, input_shape):
                value = tf.init_scope()(lambda: tf.eye(2) * 0.5)() if self.in_scope else tf.eye(2) * 0.5
                self.w = self.add_weight(name="w", shape=value.shape,
                                         initializer=keras.initializers.Constant(value=value))

            def call(self, inputs, states):
                h = tf.matmul(inputs, self.w) + states[0]
                return h, [h]

        class Outer(keras.layers.Layer):
            def __init__(self):
                super().__init__()
                self.rnn = keras.layers.RNN(Cell())

            def call(self, x):
                return self.rnn(x)
        try:
            results.append(tuple(Outer()(tf.ones((1, 3, 2))).shape))
        except Exception as error:
            results.append(f"{type(error).__name__}: {str(error).splitlines()[0][:60]}")
    return tuple(results)



@fact("build_single_shape_is_sequence")
def _():
    """What `build` receives for one input, and for two, as a `isinstance(shape, Sequence)` test reads it
    (deepchem's Highway tells one input from several so; TFV010)."""
    import collections.abc

    seen = []

    class Probe(keras.layers.Layer):
        def build(self, input_shape):
            seen.append((type(input_shape).__name__, isinstance(input_shape, collections.abc.Sequence),
                         isinstance(input_shape, tuple), isinstance(input_shape, list)))

        def call(self, inputs):
            return inputs

    Probe()(tf.ones((2, 3)))
    Probe()([tf.ones((2, 3)), tf.ones((2, 3))])
    return seen


@fact("variable_string_value_numeric_dtype")
def _():
    # A string value with a numeric or bool `dtype=`: tf.Variable raises, so that dtype shows the value is no string.
    outcomes = []
    for dtype in (tf.float32, "float32", tf.int32, tf.bool):
        try:
            tf.Variable("a", dtype=dtype)
            outcomes.append("made")
        except TypeError:
            outcomes.append("TypeError")
    return outcomes


@fact("layer_string_dtype_variable")
def _():
    # `tf.Variable(value, dtype=self.dtype)` in a layer constructed with dtype="string": the raw variable holds the
    # strings; the same value through add_weight's Constant initializer (the computed fix).
    class Raw(keras.layers.Layer):
        def build(self, input_shape):
            self.var = tf.Variable(["a", "b"], dtype=self.dtype)

        def call(self, inputs):
            return self.var

    class Filled(keras.layers.Layer):
        def build(self, input_shape):
            value = tf.convert_to_tensor(["a", "b"], dtype=self.dtype)
            self.var = self.add_weight(shape=value.shape, initializer=keras.initializers.Constant(value),
                                       dtype=self.dtype)

        def call(self, inputs):
            return self.var

    results = []
    for cls in (Raw, Filled):
        try:
            results.append(cls(dtype="string")(tf.constant(["x"])).numpy().tolist())
        except Exception as error:  # the failure is the fact
            results.append(type(error).__name__)
    return results


@fact("callable_initializer_string_weight")
def _():
    # The computed fix where the value may be a string: add_weight filled by `lambda shape, dtype=None: value`, the
    # value converted with the variable's dtype (the layer's, as `dtype=self.dtype`; else its own), for strings (in a
    # layer of dtype "string", and in a float32 layer with no dtype given), floats and ints: what the weight holds,
    # its dtype and whether it is trainable, the raw tf.Variable's first.
    results = []
    for value, layer_dtype, inputs in ((["a", "b"], "string", tf.constant(["x"])),
                                       (["a", "b"], None, tf.ones((1,))),
                                       ([1.5, 2.0], "float32", tf.ones((1,))),
                                       ([1, 2], "int32", tf.ones((1,), "int32"))):
        for fixed in (False, True):
            class Filled(keras.layers.Layer):
                as_fixed, initial, explicit = fixed, value, bool(layer_dtype)

                def build(self, input_shape):
                    value, dtype = self.initial, (self.dtype if self.explicit else None)
                    if not self.as_fixed:
                        self.var = tf.Variable(value, dtype=dtype)
                        return
                    filled = tf.init_scope()(lambda: tf.convert_to_tensor(value, dtype=dtype))()
                    self.var = self.add_weight(shape=filled.shape, initializer=lambda shape, dtype=None: filled,
                                               dtype=filled.dtype, autocast=False)

                def call(self, inputs):
                    return tf.identity(self.var)

            try:
                instance = Filled(dtype=layer_dtype) if layer_dtype else Filled()
                out = instance(inputs)
                results.append((out.numpy().tolist(), out.dtype.name, bool(instance.var.trainable)))
            except Exception as error:  # the failure is the fact
                results.append(type(error).__name__)
    return results


@fact("sequence_test_rewrite")
def _():
    """TFV010's fix of `isinstance(shape, Sequence)` in `build`, `isinstance(shape, Sequence) and any(not
    isinstance(d, (int, type(None))) for d in shape)`, read on what `build` receives for one input, one rank-0 input,
    two inputs in a list and two in a tuple: (the original test, the rewritten one) each."""
    import collections.abc

    seen = []

    class Probe(keras.layers.Layer):
        def build(self, input_shape):
            sequence = isinstance(input_shape, collections.abc.Sequence)
            seen.append((sequence, sequence and any(not isinstance(d, (int, type(None))) for d in input_shape)))

        def call(self, inputs):
            return inputs

    Probe()(tf.ones((2, 3)))
    Probe()(tf.ones(()))
    Probe()([tf.ones((2, 3)), tf.ones((2, 3))])
    Probe()((tf.ones((2, 3)), tf.ones((2, 3))))
    return seen


@fact("slash_rename_checkpoint")
def _():
    """A layer whose raw variables are named `attention/query_bias` saves weights (TF checkpoint, then HDF5); the
    fixed layer, `add_weight(name="attention_query_bias")`, loads them: (format, outputs equal) each, then the two
    layers' weight names. Under Keras 3 the original's raw variables are not saved: the figure is Keras 2's."""
    import tempfile

    def make(fixed):
        class Bias(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                if fixed:
                    self.q = self.add_weight(name="attention_query_bias", shape=(3,), initializer="zeros")
                else:
                    self.q = tf.Variable(tf.random.normal((3,)), name="attention/query_bias")

            def call(self, x):
                return x + self.q
        model = keras.Sequential([keras.Input((3,)), Bias(name="bias")])
        return model

    directory, results = tempfile.mkdtemp(), []
    for path in ("w_ckpt", "w.h5"):
        original, fixed = make(False), make(True)
        original.save_weights(f"{directory}/{path}")
        fixed.load_weights(f"{directory}/{path}")
        x = np.ones((2, 3), "float32")
        results.append((path, bool(np.allclose(original(x), fixed(x)))))
    return results, [w.name for w in original.layers[0].weights], [w.name for w in fixed.layers[0].weights]


print_results()
sys.stdout.flush()
