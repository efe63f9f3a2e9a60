"""The question the window asks before it quits while jobs run, in plain words.

Jobs running on this computer (encoding, checking, publishing) are cancelled by quitting and can be
retried next time. Jobs encoding on the farm are not: their work goes on on the farm's machines and
the app follows them again when it opens (``FarmSession.close`` leaves them running). The question
says which is which, and is asked even when only farm jobs run: the user may not know they go on.
"""

from __future__ import annotations

from typing import Any


def _jobs(count: int) -> str:
    return f"{count} job" if count == 1 else f"{count} jobs"


def quit_words(on_this_computer: int, on_the_farm: int) -> str | None:
    """The question for this many running jobs of each kind (None: nothing runs, quit at once)."""
    sentences = []
    if on_this_computer > 0:
        verb, them = ("is", "it") if on_this_computer == 1 else ("are", "they")
        sentences.append(
            f"{_jobs(on_this_computer)} {verb} running on this computer and will be cancelled "
            f"({them} can be retried next time)."
        )
    if on_the_farm > 0:
        verb, them = ("goes", "it") if on_the_farm == 1 else ("go", "them")
        sentences.append(
            f"{_jobs(on_the_farm)} encoding on the farm {verb} on without HLS Studio, "
            f"which picks {them} up again the next time you open it."
        )
    if not sentences:
        return None
    return " ".join([*sentences, "Quit now?"])


def quit_question(controller: Any) -> str | None:
    """What to ask before the window of ``controller`` (a ``QueueController``) quits now (None: no
    job runs)."""
    on_the_farm = len(controller.service.farm_jobs_running())
    return quit_words(max(0, controller.active_count - on_the_farm), on_the_farm)
