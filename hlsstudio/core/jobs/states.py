"""Every allowed change of a job's state, in one table.

The job service refuses any other change (``IllegalTransition``); nothing else decides a state. The
table in words: a queued job is probed and becomes ready (or fails); a ready job is encoded (a
per-title job first analyses its title), then validated, then (with a destination) published, and
ends done, failed or cancelled; a job that was active when the app stopped is interrupted. Encode
and publish stay apart: a job whose package is encoded but whose publish fails ends publish-failed
(its encode is kept; only publishing is retried), and a cancelled publish leaves it done (encoded,
not published). Failed, cancelled and interrupted jobs can be retried (probed again, started again,
or only published again); a done or publish-failed job can be published, or encoded again.
"""

from __future__ import annotations

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.models import JobState

Q, P, R, A = JobState.QUEUED, JobState.PROBING, JobState.READY, JobState.ANALYSING
T, V, U = JobState.TRANSCODING, JobState.VALIDATING, JobState.PUBLISHING
D, F, C, X = JobState.DONE, JobState.FAILED, JobState.CANCELLED, JobState.INTERRUPTED
PF = JobState.PUBLISH_FAILED

TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    Q: frozenset({P, R, F, C}),
    P: frozenset({Q, R, A, T, F, C, X}),
    R: frozenset({Q, T, F, C}),
    A: frozenset({T, F, C, X}),
    T: frozenset({P, A, V, U, D, PF, F, C, X}),
    V: frozenset({U, D, PF, F, C, X}),
    U: frozenset({D, PF, F, C, X}),
    D: frozenset({Q, R, U}),
    PF: frozenset({Q, R, U}),
    F: frozenset({Q, R, U}),
    C: frozenset({Q, R, U}),
    X: frozenset({Q, R, U}),
}
"""state -> the states a job may go to from it (staying in the same state is not a transition)."""


class IllegalTransition(HlsStudioError):
    """A change of state the table does not allow (a bug in the caller, never the user's doing)."""


def allowed(old: JobState, new: JobState) -> bool:
    """True when a job may go from ``old`` to ``new``."""
    return new in TRANSITIONS[old]


def check_transition(old: JobState, new: JobState) -> None:
    """Raise IllegalTransition unless a job may go from ``old`` to ``new``."""
    if not allowed(old, new):
        raise IllegalTransition(f"a job cannot go from {old.value} to {new.value}")
