import numpy as np
import pytest
import tensorflow as tf

from sample_layers.correct import AddWeightScale, KerasVariableScale, PlainCounter, RunningMean, ScratchInit
from sample_layers.hidden import BackendOffset, FactoryScale, GetattrGate
from sample_layers.layers import GetVariableBias, PlantedShift, ScaledDense


@pytest.fixture
def batch():
    return tf.constant(np.random.RandomState(0).normal(size=(4, 3)).astype("float32"))


def test_scaled_dense_shape(batch):
    assert ScaledDense(5)(batch).shape == (4, 5)


def test_get_variable_bias(batch):
    np.testing.assert_allclose(GetVariableBias()(batch), batch)


def test_planted_shift(batch):
    np.testing.assert_allclose(PlantedShift(3)(batch), batch)


def test_factory_scale(batch):
    np.testing.assert_allclose(FactoryScale(3)(batch), batch)


def test_backend_offset(batch):
    np.testing.assert_allclose(BackendOffset(3)(batch), batch)


def test_getattr_gate(batch):
    np.testing.assert_allclose(GetattrGate(3)(batch), batch)


def test_add_weight_scale(batch):
    layer = AddWeightScale()
    np.testing.assert_allclose(layer(batch), batch)
    assert len(layer.weights) == 1


@pytest.mark.skipif(not hasattr(tf.keras, "Variable"), reason="keras.Variable is Keras 3 only")
def test_keras_variable_scale(batch):
    layer = KerasVariableScale(3)
    np.testing.assert_allclose(layer(batch), batch)
    assert len(layer.weights) == 1


def test_scratch_init(batch):
    np.testing.assert_allclose(ScratchInit(3)(batch), batch * 6.0)


def test_running_mean_and_counter(batch):
    assert RunningMean(3)(batch).shape == (3,)
    assert int(PlainCounter().tick()) == 1


def test_a_model_trains(batch):
    model = tf.keras.Sequential([tf.keras.Input((3,)), ScaledDense(2), FactoryScale(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(batch, tf.zeros((4, 2)), epochs=1, verbose=0)
