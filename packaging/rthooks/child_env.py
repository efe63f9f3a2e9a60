"""Runtime hook: give child processes the user's environment, not the one PyInstaller set up for us.

On Linux the PyInstaller bootloader puts the app's ``_internal`` folder first on ``LD_LIBRARY_PATH``
(keeping the user's value in ``LD_LIBRARY_PATH_ORIG``). That matters only to processes we start, and
for them it is harmful: "Open output folder" runs the desktop's file manager, which would then load our
copies of GLib, OpenSSL or libstdc++ instead of the system's. The bundled FFmpeg does not need it
either: its launchers set their own library path. Changing the variable here does not affect this
process, whose library search path was fixed when it started.
"""

import os
import sys

if sys.platform.startswith("linux") and getattr(sys, "frozen", False):
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original:
        os.environ["LD_LIBRARY_PATH"] = original
    else:
        os.environ.pop("LD_LIBRARY_PATH", None)
