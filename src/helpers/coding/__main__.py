"""``python -m helpers.coding``: see :mod:`helpers.coding.cli`."""

import sys

from helpers.coding.cli import main

sys.exit(main())
