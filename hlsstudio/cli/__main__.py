"""``python -m hlsstudio.cli``: the same as ``hlsstudio-cli``."""

import sys

from hlsstudio.cli import main

sys.exit(main())
