"""Short helper processes: bounded in time, and run at a lower priority when in the background."""

from __future__ import annotations

import os
import sys

import pytest

from hlsstudio.core.proc import BACKGROUND_NICENESS, TimedOut, run_bounded

# the child waits a moment so that the parent has lowered its priority before it looks
REPORT_NICENESS = "import os, time; time.sleep(0.3); print(os.getpriority(os.PRIO_PROCESS, 0))"


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX priorities only")
def test_background_children_run_at_a_lower_priority() -> None:
    own = os.getpriority(os.PRIO_PROCESS, 0)

    normal = run_bounded([sys.executable, "-c", REPORT_NICENESS], 30)
    background = run_bounded([sys.executable, "-c", REPORT_NICENESS], 30, background=True)

    assert int(normal.stdout) == own
    assert int(background.stdout) == min(19, own + BACKGROUND_NICENESS)


def test_a_child_over_its_time_is_killed() -> None:
    with pytest.raises(TimedOut, match=r"did not finish within 0\.5 s"):
        run_bounded([sys.executable, "-c", "import time; time.sleep(30)"], 0.5)
