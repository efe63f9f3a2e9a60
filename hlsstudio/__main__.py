"""``python -m hlsstudio`` / ``hlsstudio [FILE...]``: start the desktop app with FILEs queued."""

from __future__ import annotations

import sys


def main() -> int:
    """Start the GUI; files and folders named on the command line are queued at once."""
    from hlsstudio.qt.app import run

    return run(sys.argv)


if __name__ == "__main__":
    sys.exit(main())
