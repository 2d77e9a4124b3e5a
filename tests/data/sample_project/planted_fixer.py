"""A fixer with a planted bug, for the plugin's tests: the real fix, then PlantedShift's weight starts at one."""

from tflint_vars.fixes.fixer import fix_source


def fix_wrongly(source, path="<string>", *, unsafe=False, selection=None):
    fixed = fix_source(source, path, unsafe=unsafe, selection=selection)
    return fixed.replace('name="shift", shape=(units,), initializer="zeros"', 'name="shift", shape=(units,), initializer="ones"')
