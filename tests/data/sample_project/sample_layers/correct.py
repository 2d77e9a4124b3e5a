import tensorflow as tf


def starting_value(units):
    """A scratch variable, dropped on return: Keras 2 did not track it either."""
    scratch = tf.Variable(tf.ones((units,)))
    scratch.assign_add(tf.ones((units,)))
    return float(tf.reduce_sum(scratch))


class AddWeightScale(tf.keras.layers.Layer):
    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.scale


class KerasVariableScale(tf.keras.layers.Layer):
    """Keras 3 only: `keras.Variable` is tracked like `add_weight`."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.scale = tf.keras.Variable(tf.ones((units,)), name="scale")

    def call(self, inputs):
        return inputs * self.scale


class ScratchInit(tf.keras.layers.Layer):
    """Its constructor makes a scratch tf.Variable (in a helper) and does not keep it: nothing is lost."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.start = starting_value(units)

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.scale * self.start


class RunningMean(tf.Module):
    def __init__(self, units):
        super().__init__()
        self.total = tf.Variable(tf.zeros((units,)), trainable=False)

    def __call__(self, inputs):
        self.total.assign_add(tf.reduce_sum(inputs, axis=0))
        return self.total


class PlainCounter:
    def __init__(self):
        self.count = tf.Variable(0)

    def tick(self):
        self.count.assign_add(1)
        return self.count
