"""``python -m hlsstudio`` / ``hlsstudio [FILE...]``: start the desktop app with FILEs queued.

``hlsstudio --self-test`` proves the installation works and exits (0 when it does).
"""

from __future__ import annotations

import sys


def main() -> int:
    """Start the GUI; files and folders named on the command line are queued at once.

    ``--self-test`` checks the installation instead (window, FFmpeg, a tiny transcode) and exits.
    """
    if "--self-test" in sys.argv[1:]:
        from hlsstudio.qt.app import self_test

        return self_test(sys.argv)
    from hlsstudio.qt.app import run

    return run(sys.argv)


if __name__ == "__main__":
    sys.exit(main())
