"""Emitting signals from Python must not leak or steal references (PySide6 6.12.0 did, and crashed)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

EMITS = 5000


def test_many_emits_keep_true_and_none_alive() -> None:
    # a subprocess: the broken build aborts the interpreter ("bool_dealloc"), which must not take pytest down
    code = textwrap.dedent(
        f"""
        import sys
        from PySide6.QtCore import QCoreApplication, QObject, Signal

        app = QCoreApplication([])

        class Source(QObject):
            changed = Signal(object)

        source = Source()
        received = []
        source.changed.connect(received.append)
        before = sys.getrefcount(True), sys.getrefcount(None)
        for i in range({EMITS}):
            source.changed.emit(i)
        after = sys.getrefcount(True), sys.getrefcount(None)
        assert len(received) == {EMITS}, len(received)
        print(before[0] - after[0], before[1] - after[1])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lost_true, lost_none = (int(x) for x in done.stdout.split())
    assert lost_true <= 5 and lost_none <= 5, done.stdout
