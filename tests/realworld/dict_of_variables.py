# tflint-vars real-world corpus (tests/realworld): A dict of variables in __init__.
# Written the way users write Keras layers; no third-party code.
import tensorflow as tf


class AffineDict(tf.keras.layers.Layer):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.params = {"gamma": tf.Variable(tf.ones([dim]), name="gamma"),
                       "beta": tf.Variable(tf.zeros([dim]), name="beta")}

    def call(self, x):
        return x * self.params["gamma"] + self.params["beta"]
