"""Entry point of the frozen ``hlsstudio`` executable: the desktop app (``hlsstudio.__main__``)."""

import sys

from hlsstudio.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
