"""Entry point of the frozen ``hlsstudio-cli`` executable: the headless command line (``hlsstudio.cli``)."""

import sys

from hlsstudio.cli import main

if __name__ == "__main__":
    sys.exit(main())
