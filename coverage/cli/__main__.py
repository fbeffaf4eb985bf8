"""``python -m coverage.cli``: the same as ``coverage-plan``."""

import sys

from . import main

sys.exit(main())
