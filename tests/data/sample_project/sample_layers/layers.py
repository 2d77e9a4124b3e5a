import tensorflow as tf


class ScaledDense(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.bias = tf.Variable(tf.zeros((units,)), name="bias")

    def build(self, input_shape):
        self.kernel = tf.Variable(tf.random.normal((input_shape[-1], self.units), stddev=0.05), name="kernel")

    def call(self, inputs):
        return tf.matmul(inputs, self.kernel) + self.bias


class GetVariableBias(tf.keras.layers.Layer):
    def build(self, input_shape):
        self.offset = tf.compat.v1.get_variable("offset", shape=(input_shape[-1],),
                                                initializer=tf.compat.v1.zeros_initializer())

    def call(self, inputs):
        return inputs + self.offset


class PlantedShift(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.shift = tf.Variable(tf.zeros((units,)), name="shift")

    def call(self, inputs):
        return inputs + self.shift
