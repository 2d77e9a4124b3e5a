"""Helpers that make variables: no static rule sees the layer that keeps what they return."""

import numpy as np
import tensorflow as tf

K = tf.keras.backend


def make_scale(units):
    return tf.Variable(tf.ones((units,)), name="scale")


def backend_weight(units):
    return K.variable(np.zeros((units,), dtype="float32"), name="offset")
