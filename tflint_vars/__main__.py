import os
import sys

# `python -m` puts the current directory first on sys.path, so a checked project's `argparse.py` or `ast.py` would be
# imported, and run, in place of the standard library's. Checking must never run the code it checks. The package is
# already imported by now, so its own modules are still found.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from tflint_vars.cli import main  # noqa: E402

sys.exit(main())
