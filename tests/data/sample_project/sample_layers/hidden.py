import tensorflow as tf

from sample_layers.factories import backend_weight, make_scale


class FactoryScale(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.scale = make_scale(units)

    def call(self, inputs):
        return inputs * self.scale


class BackendOffset(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.offset = backend_weight(units)

    def call(self, inputs):
        return inputs + self.offset


class GetattrGate(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        make = getattr(tf, "Vari" + "able")
        setattr(self, "gate", make(tf.ones((units,)), name="gate"))

    def call(self, inputs):
        return inputs * self.gate
