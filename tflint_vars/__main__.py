import sys

from tflint_vars.cli import main

sys.exit(main())
