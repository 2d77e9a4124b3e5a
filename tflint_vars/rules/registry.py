"""The registry every front end reads: `ALL_RULES` in the order they run, `RULES_BY_CODE`."""

from tflint_vars.rules.base import Rule
from tflint_vars.rules.tfv000_unreadable import Unreadable
from tflint_vars.rules.tfv001_variable_in_init import VariableInInit
from tflint_vars.rules.tfv002_variable_in_call import VariableInCall
from tflint_vars.rules.tfv003_variable_in_method import VariableInMethod
from tflint_vars.rules.tfv004_get_variable_in_layer import GetVariableInLayer
from tflint_vars.rules.tfv005_get_variable_without_reuse import GetVariableWithoutReuse
from tflint_vars.rules.tfv006_state_outside_build import StateOutsideBuild
from tflint_vars.rules.tfv007_add_weight_positional import AddWeightPositional
from tflint_vars.rules.tfv008_tf1_layers_api import Tf1LayersApi
from tflint_vars.rules.tfv009_add_weight_keras2_keyword import AddWeightKeras2Keyword
from tflint_vars.rules.tfv010_tensorshape_api_in_build import TensorShapeApiInBuild
from tflint_vars.rules.tfv011_removed_layer_api import RemovedLayerApi
from tflint_vars.rules.tfv012_track_tf1_style_variables import TrackTf1StyleVariables
from tflint_vars.rules.tfv013_super_init_keras2_arguments import SuperInitKeras2Arguments
from tflint_vars.rules.tfv014_init_without_kwargs import InitWithoutKwargs
from tflint_vars.rules.tfv015_shape_method_signature import ShapeMethodSignature
from tflint_vars.rules.tfv016_metric_weight_without_initializer import MetricWeightWithoutInitializer
from tflint_vars.rules.tfv017_init_dtype_default import InitDtypeDefault
from tflint_vars.rules.tfv018_initializer_draw_in_build import InitializerDrawInBuild
from tflint_vars.rules.tfv019_squeeze_without_axis_output import SqueezeWithoutAxisOutput
from tflint_vars.rules.tfv030_tracking_list_hack import TrackingListHack
from tflint_vars.rules.tfv100_unused_noqa import UnusedNoqa

ALL_RULES: tuple[type[Rule], ...] = (
    Unreadable, VariableInInit, VariableInCall, VariableInMethod, GetVariableInLayer, GetVariableWithoutReuse,
    StateOutsideBuild, AddWeightPositional, Tf1LayersApi, AddWeightKeras2Keyword,
    TensorShapeApiInBuild, RemovedLayerApi, TrackTf1StyleVariables, SuperInitKeras2Arguments,
    InitWithoutKwargs, ShapeMethodSignature, MetricWeightWithoutInitializer, InitDtypeDefault, InitializerDrawInBuild,
    SqueezeWithoutAxisOutput, TrackingListHack,
    UnusedNoqa,
)
RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_CODE"]
