"""The Keras behaviour the fixes' safety rests on (the rules' "Fix safety" sections), measured by
bench/keras_fix_facts.py, and the Keras 2 API that Keras 3 lacks or takes differently (the rules' "Why is this
bad?"), measured by bench/keras_api_diff.py, under the real Keras 3 (tf.keras in TF 2.21) and Keras 2
(tf-keras 2.21). If a new Keras changes one of these, a precondition of a safe fix may no longer hold: this test
says which."""

from __future__ import annotations

import pytest
from conftest import bench_facts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def facts():
    return {"keras3": bench_facts("keras_fix_facts.py", False), "keras2": bench_facts("keras_fix_facts.py", True)}


def test_shapes_and_names(facts):
    k3, k2 = facts["keras3"], facts["keras2"]
    assert k3["scalar_shape"].startswith("ValueError") and k2["scalar_shape"] == "(4,)"  # (n,) needed
    assert k3["tensorshape_of_int_shape"] == k2["tensorshape_of_int_shape"] == "(4,)"  # TensorShape(n) taken
    assert k3["slash_in_name"].startswith("ValueError") and "a/b" in k2["slash_in_name"]  # `/` -> `_`
    # Keras 2 weights of `attention/query_bias` (TF checkpoint, HDF5) load into `attention_query_bias` (the unsafe
    # rename's reason says so); under Keras 3 the original's raw variables are not saved at all.
    assert k2["slash_rename_checkpoint"] == \
        "([('w_ckpt', True), ('w.h5', True)], ['attention/query_bias:0'], ['attention_query_bias:0'])"
    assert k3["duplicate_names_tracked"] == k2["duplicate_names_tracked"] == "2"  # duplicate names are fine
    assert k3["none_dim_shape"].startswith("ValueError")  # shape= with None: no fix


def test_place_of_creation(facts):
    k3, k2 = facts["keras3"], facts["keras2"]
    assert k3["add_weight_after_build"].startswith("ValueError") and k2["add_weight_after_build"] == "1"
    assert "Error" in k3["add_weight_before_super_init"] and "Error" in k2["add_weight_before_super_init"]
    assert k3["add_weight_in_comprehension"] == k2["add_weight_in_comprehension"] == "3"


def test_dtypes_and_autocast(facts):
    k3, k2 = facts["keras3"], facts["keras2"]
    for k in (k3, k2):
        assert "float64" in k["float64_layer_default_weight_dtype"]  # add_weight follows the layer: dtype written
        assert "float32" in k["float64_layer_explicit_float32"]
        assert k["mixed_float16_float32_weight_autocast_false"] == "'float32'"
        assert k["mixed_float16_raw_variable_read_in_call"] == "'float32'"
    assert k2["mixed_float16_float32_weight_read_in_call"].startswith("InvalidArgumentError")  # autocast breaks
    assert k2["int_random_uniform_float_bounds"].startswith("TypeError")  # integer bounds kept
    assert k3["int_random_uniform_int_bounds"] == k2["int_random_uniform_int_bounds"] == "'int32'"
    assert k3["int_weight_trainable_default"] == k2["int_weight_trainable_default"] == "('int32', True)"


def test_initializers_and_keywords(facts):
    k3, k2 = facts["keras3"], facts["keras2"]
    for name in ("constant_list_value", "constant_ndarray_value", "constant_scalar_broadcast", "constant_tensor_value",
                 "callable_initializer_returning_value", "random_normal_initializer_stddev",
                 "add_weight_constraint_in_fit"):
        assert k3[name] == k2[name] and "Error" not in k3[name], name
    assert k2["raw_variable_constraint_in_fit"] == k3["add_weight_constraint_in_fit"]  # the constraint is kept
    assert k2["get_variable_regularizer_in_layer_losses"] == "(0, 1)"  # Keras 2: no loss; add_weight adds one
    # ... nor in the model's losses or its fit loss (10 * sum(w * w) = 20 would show): only TF1's collection may hold
    # it (when the layer is called eagerly; not when a Sequential model builds it), which is why the fix that leaves
    # the regularizer out is safe only where no file of the project reads that collection.
    assert k2["get_variable_regularizer_collection"] == "(0, 0, False, False)"
    assert k3["regularizer_add_weight_losses"] == k2["regularizer_add_weight_losses"] == "1"
    assert k3["add_weight_synchronization_aggregation"].startswith("TypeError")


def test_numpy_operands_and_values_computed_in_a_trace(facts):
    k3, k2 = facts["keras3"], facts["keras2"]
    # (add_weight * np.sqrt(2.0), np.sqrt(2.0) * add_weight, tf.Variable * np.sqrt(2.0), * np.float32, * np.ones(2),
    # * float(...)): Keras 3's weight promotes with numpy float64 values; a tf.Variable and Keras 2 do not.
    assert k3["numpy_float64_operand"] == "('float64', 'float64', 'float32', 'float32', 'float64', 'float32')"
    assert k2["numpy_float64_operand"] == repr(("float32",) * 6)
    # The fix's read, tf.convert_to_tensor(weight): float32 with numpy values, a numpy float32 scalar on the left in
    # a traced step, get_shape(), gradients and a fit step, alike under both (plans/reads.py).
    assert k3["tensor_read_numpy_operand"] == k2["tensor_read_numpy_operand"] == \
        "(('float32', 'float32', 'float32'), 'float32', (2,), True, True)"
    # A value computed in an RNN cell's build: Keras 3 raises "out of scope" unless it is evaluated in init_scope.
    assert k3["computed_value_in_trace"].startswith("('TypeError") and k3["computed_value_in_trace"].endswith(
        "(1, 2))")
    assert k2["computed_value_in_trace"] == "((1, 2), (1, 2))"
    # `tf.squeeze(x)` without axis in call (TFV019): Keras 3 cannot build a functional model on the layer.
    assert k3["squeeze_without_axis_output"] == "(('ValueError', True), '(None, 3)')"
    assert k2["squeeze_without_axis_output"] == "('<unknown>', '(None, 3)')"
    # An initializer's draw kept in build (TFV018): out of scope under Keras 3 when built inside a traced call,
    # unless drawn inside tf.init_scope(), as tf-keras runs build; a tensor, never a weight, under both.
    assert k3["initializer_draw_in_nested_build"] == "(('TypeError', True), ('EagerTensor', 0, (2, 1)))"
    assert k2["initializer_draw_in_nested_build"] == "(('EagerTensor', 0, (2, 1)), ('EagerTensor', 0, (2, 1)))"


@pytest.fixture(scope="module")
def api():
    return {"keras3": bench_facts("keras_api_diff.py", False, "--measure"),
            "keras2": bench_facts("keras_api_diff.py", True, "--measure")}


def _lacks(api, surface: str) -> set[str]:
    return set(api["keras2"][f"surface.{surface}"].split()) - set(api["keras3"][f"surface.{surface}"].split())


def test_api_keras3_lacks(api):
    """The Keras 2 names the rules report are the ones Keras 3 lacks (TFV011, TFV012)."""
    assert {"add_update", "updates", "input_shape", "output_shape", "dynamic"} <= _lacks(api, "Layer")
    assert "track_tf1_style_variables" in _lacks(api, "compat_v1_keras_utils")
    k2, k3 = api["keras2"], api["keras3"]
    assert k2["signature.Layer.__init__"] == "self,trainable,name,dtype,dynamic,**kwargs"
    assert k3["signature.Layer.__init__"].startswith("self,activity_regularizer,")  # keywords only after self
    assert k2["signature.Metric.add_weight"] == "self,name,shape,aggregation,synchronization,initializer,dtype"
    assert k3["signature.Metric.add_weight"] == "self,shape,initializer,dtype,name"


def test_api_breakages_measured(api):
    k3, k2 = api["keras3"], api["keras2"]
    raises = {  # fact -> what Keras 3 raises; Keras 2 runs each
        "add_metric_in_call": "NotImplementedError", "add_update_in_call": "AttributeError",
        "layer_updates": "AttributeError", "layer_input_shape": "AttributeError",
        "layer_output_shape": "AttributeError", "super_init_dynamic_true": "ValueError: Unrecognized keyword",
        "super_init_dynamic_false": "ValueError: Unrecognized keyword",
        "super_init_positional": "TypeError", "track_tf1_style_variables_decorator": "AttributeError",
        "compat_v1_layers_conv2d_reference": "AttributeError",
        "compat_v1_layers_separable_conv2d_reference": "AttributeError",
        "compute_output_shape_as_list": "AttributeError", "build_extra_argument": "ValueError",
        "load_model_constructor_without_kwargs_default_config": "TypeError",
        "save_constructor_dtype_default": "NotImplementedError",
        "metric_add_weight_positional_name": "TypeError", "metric_add_weight_no_initializer": "ValueError",
        "layer_add_weight_computed_positional_name": "ValueError", "layer_add_variable_keras2_order": "ValueError",
    }
    for name, error in raises.items():
        assert k3[name].startswith(error), (name, k3[name])
        assert "Error" not in k2[name], (name, k2[name])
    assert k3["super_init_positional_keywords"] == k2["super_init_positional_keywords"] == "'L'"
    assert k3["layer_add_variable_keywords"] == k2["layer_add_variable_keywords"] == "(3, 4)"
    # With **kwargs passed to super().__init__, both load (the TFV014 fix).
    assert k3["load_model_constructor_with_kwargs_default_config"] == "1"
    assert k2["load_model_constructor_with_kwargs_default_config"] == "1"


def test_random_layers_own_state_in_keras3(api):
    """Dropout and the noise layers own a seed variable in Keras 3 only: made in `call`, `fit` raises (TFV006)."""
    k3, k2 = api["keras3"], api["keras2"]
    for name in ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout",
                 "GaussianDropout", "GaussianNoise"):
        assert k3[f"variables_owned.{name}"] == "1" and k2[f"variables_owned.{name}"] == "0", name
        assert k3[f"constructed_in_call_fit.{name}"].startswith("ValueError"), name
        assert k2[f"constructed_in_call_fit.{name}"] == "'trains'", name
    for name in ("Activation", "Flatten", "MaxPooling2D", "ReLU"):  # weightless in both: kept as stateless
        assert k3[f"variables_owned.{name}"] == k2[f"variables_owned.{name}"] == "0", name
        assert k3[f"constructed_in_call_fit.{name}"] == "'trains'", name


def test_metric_weight_without_initializer(api):
    """Keras 2 drew a glorot value and reported it from the first fit/evaluate (no reset before); reset gives 0."""
    k3, k2 = api["keras3"], api["keras2"]
    assert k2["metric_add_weight_no_initializer"] == "True"  # a non-zero draw
    assert k2["metric_no_initializer_after_reset"] == "0.0"
    for name in ("metric_no_initializer_fit", "metric_no_initializer_evaluate"):
        assert k3[name].startswith("ValueError") and float(k2[name]) != 0.0, name


def test_state_made_again_by_a_public_reset(facts):
    # (after fit, after reset and fit) of the attribute, for (original, fixed): a traced fit kept updating the first
    # variable, so the original's new one stays 0.0 (both Kerases); the fixed weight is assigned, and fit updates it.
    assert facts["keras2"]["recreated_in_reset_traced_fit"] == "[(0.1, 0.0), (0.1, 0.1)]"
    assert facts["keras3"]["recreated_in_reset_traced_fit"] == "[(0.1, 0.0), (0.1, 0.1)]"


def test_one_input_shape_passes_a_sequence_test_only_under_keras3(facts):
    # (type, Sequence, tuple, list) for one input, then for two: TFV010's `isinstance(input_shape, Sequence)` report.
    assert facts["keras3"]["build_single_shape_is_sequence"] == \
        "[('tuple', True, True, False), ('list', True, False, True)]"
    assert facts["keras2"]["build_single_shape_is_sequence"] == \
        "[('TensorShape', False, False, False), ('list', True, False, True)]"
    # TFV010's fix (one input, a rank-0 one, two in a list, two in a tuple): (original test, rewritten test). Under
    # Keras 3 the rewrite answers as the original did under Keras 2; under Keras 2 it answers as the original.
    assert facts["keras3"]["sequence_test_rewrite"] == "[(True, False), (True, False), (True, True), (True, True)]"
    assert facts["keras2"]["sequence_test_rewrite"] == "[(False, False), (False, False), (True, True), (True, True)]"


def test_dtype_default_written_as_its_name(api):
    """TFV017's fix: Keras 3's automatic config records a defaulted argument too (tf-keras only one passed), so a
    tf.DType default breaks `save`; its name saves and loads under both, and each use the safe fix accepts gives the
    same dtypes for the name as for the DType. `tf.as_dtype(None)` raises: a normalising statement is not safe."""
    k3, k2 = api["keras3"], api["keras2"]
    assert k3["auto_config_dtype_default"] == "((3, 'float32'), (3, 'float64'))"
    assert k2["auto_config_dtype_default"] == "(('absent', 'absent'), ('absent', 'float64'))"
    for k in (k3, k2):
        assert k["auto_config_dtype_passed_as_dtype"].startswith("NotImplementedError")  # the caller's DType: alike
        assert k["save_constructor_dtype_string_default"] == "('float32', 'float32', True)"
        assert k["dtype_string_and_dtype_alike"] == "[True, True, True, True, True]"
        assert k["dtype_uses_float64"] == repr(("float64",) * 8)
        assert k["as_dtype_none"].startswith("TypeError")


def test_what_shows_a_filled_value_is_no_string(facts):
    """The computed fix fills the weight through Constant, which cannot fill strings under Keras 3: a numeric or bool
    `dtype=` on the tf.Variable shows the value is no string (tf.Variable raises for one); the layer's own dtype does
    not, since a layer constructed with dtype="string" holds a string variable, and its filled weight raises."""
    k3, k2 = facts["keras3"], facts["keras2"]
    for k in (k3, k2):
        assert k["variable_string_value_numeric_dtype"] == repr(["TypeError"] * 4)
    assert k2["layer_string_dtype_variable"] == "[[b'a', b'b'], [b'a', b'b']]"
    assert k3["layer_string_dtype_variable"] == "[[b'a', b'b'], 'TypeError']"
    # So where a string is not ruled out, the fix fills the weight through `lambda shape, dtype=None: value`: the raw
    # variable and the filled weight hold the same strings, floats and ints, dtypes and trainability, under both.
    expected = repr([([b'a', b'b'], 'string', True)] * 4 + [([1.5, 2.0], 'float32', True)] * 2
                    + [([1, 2], 'int32', True)] * 2)
    assert k3["callable_initializer_string_weight"] == k2["callable_initializer_string_weight"] == expected
