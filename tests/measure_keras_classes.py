"""What a raw tf.Variable does in Keras Metric, Optimizer and Loss subclasses (rules/_raw_variables.py quotes it).

Run: `.venv/bin/python tests/measure_keras_classes.py` (Keras 3) and the same with TF_USE_LEGACY_KERAS=1 (Keras 2).
Not a test: a measurement script, kept so the figures in the rules' docs can be reproduced.
"""
import os
import numpy as np
import tensorflow as tf
keras = tf.keras
RUNTIME = "keras2" if os.environ.get("TF_USE_LEGACY_KERAS") else "keras3"
print("runtime", RUNTIME, getattr(keras, "__version__", ""))

class RawMean(keras.metrics.Metric):
    def __init__(self, name="raw_mean", **kw):
        super().__init__(name=name, **kw)
        self.total = tf.Variable(0.0, name="total")
        self.count = tf.Variable(0.0, name="count")
    def update_state(self, values, sample_weight=None):
        values = tf.cast(values, tf.float32)
        self.total.assign_add(tf.reduce_sum(values))
        self.count.assign_add(tf.cast(tf.size(values), tf.float32))
    def result(self):
        return self.total / self.count

m = RawMean()
m.update_state([1.0, 2.0, 3.0])
print("metric.variables", [v.name for v in m.variables])
m.reset_state()
print("after reset_state: total", float(m.total.numpy()), "count", float(m.count.numpy()))
m.update_state([10.0])
print("result after reset + update([10])", float(m.result().numpy()))

class RawMeanSub(keras.metrics.Mean):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.extra = tf.Variable(0.0, name="extra")
    def update_state(self, values, sample_weight=None):
        self.extra.assign_add(1.0)
        return super().update_state(values, sample_weight)
ms = RawMeanSub()
ms.update_state([1.0])
print("Mean subclass variables", [v.name for v in ms.variables])
ms.reset_state()
print("Mean subclass extra after reset", float(ms.extra.numpy()))

# Metric in fit: accumulates across epochs?
inputs = keras.Input((2,))
model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
class RawCount(keras.metrics.Metric):  # samples seen: 8 per epoch
    def __init__(self, name="seen", **kw):
        super().__init__(name=name, **kw)
        self.seen = tf.Variable(0.0, name="seen")
    def update_state(self, y_true, y_pred, sample_weight=None):
        self.seen.assign_add(tf.cast(tf.shape(y_pred)[0], tf.float32))
    def result(self):
        return tf.identity(self.seen)
model.compile(optimizer="sgd", loss="mse", metrics=[RawCount()])
x = np.ones((8, 2), np.float32)
y = np.ones((8, 1), np.float32)
h = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
print("fit: samples counted per epoch (8 per epoch)", h.history.get("seen"))
print("model.metrics variables", [v.name for m in model.metrics for v in m.variables])
# optimizer
class RawSGD(keras.optimizers.SGD):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.steps_seen = tf.Variable(0, dtype=tf.int64, name="steps_seen")
o = RawSGD(learning_rate=0.1)
print("optimizer.variables (before build)", [v.name for v in o.variables])
w = tf.Variable([1.0]) if os.environ.get("TF_USE_LEGACY_KERAS") else keras.Variable([1.0])
o.apply_gradients([(tf.constant([1.0]), w)])
print("optimizer.variables (after apply)", [getattr(v, "path", v.name) for v in o.variables])
ck = tf.train.Checkpoint(optimizer=o)
checkpoint = ck.write("/tmp/i12m/ck-" + ("k2" if RUNTIME == "keras2" else "k3"))
print("checkpoint of optimizer lists steps_seen:",
      any("steps_seen" in n for n, _ in tf.train.list_variables(checkpoint)))
class RawLoss(keras.losses.Loss):
    def __init__(self):
        super().__init__()
        self.scale = tf.Variable(2.0, name="scale")
    def call(self, y_true, y_pred):
        return self.scale * tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)
inputs = keras.Input((2,))
model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
loss = RawLoss()
model.compile(optimizer="sgd", loss=loss)
model.fit(x, y, epochs=1, verbose=0)
print("loss scale after fit", float(loss.scale.numpy()),
      "in model.trainable_weights:", any("scale" in v.name for v in model.trainable_weights),
      "loss has variables attr:", hasattr(loss, "variables"))
