"""The job state table: which changes of state are allowed, and the service refusing the others."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from hlsstudio.core.jobs import events as ev
from hlsstudio.core.jobs.executor import InlineExecutor
from hlsstudio.core.jobs.service import JobService
from hlsstudio.core.jobs.states import TRANSITIONS, IllegalTransition, allowed, check_transition
from hlsstudio.core.jobstore import JobStore
from hlsstudio.core.models import JobState
from hlsstudio.core.settings import AppSettings

S = JobState
ALL_PAIRS = list(itertools.product(JobState, JobState))
ILLEGAL_PAIRS = [(old, new) for old, new in ALL_PAIRS if new not in TRANSITIONS[old]]
ILLEGAL_CHANGES = [(old, new) for old, new in ILLEGAL_PAIRS if old is not new]

# how the store is walked to each state before the service is asked to leave it (the store itself
# checks nothing, so any path works; these are the ones the app takes)
PATH_TO: dict[JobState, list[JobState]] = {
    S.QUEUED: [],
    S.PROBING: [S.PROBING],
    S.READY: [S.READY],
    S.TRANSCODING: [S.READY, S.TRANSCODING],
    S.ANALYSING: [S.READY, S.TRANSCODING, S.ANALYSING],
    S.VALIDATING: [S.READY, S.TRANSCODING, S.VALIDATING],
    S.PUBLISHING: [S.READY, S.TRANSCODING, S.VALIDATING, S.PUBLISHING],
    S.DONE: [S.READY, S.TRANSCODING, S.VALIDATING, S.DONE],
    S.PUBLISH_FAILED: [S.READY, S.TRANSCODING, S.VALIDATING, S.PUBLISHING, S.PUBLISH_FAILED],
    S.FAILED: [S.FAILED],
    S.CANCELLED: [S.CANCELLED],
    S.INTERRUPTED: [S.PROBING, S.INTERRUPTED],
}


def pair_id(pair: tuple[JobState, JobState]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


# ---- the table itself


def test_the_table_has_a_row_for_every_state_and_no_self_loops() -> None:
    assert set(TRANSITIONS) == set(JobState)
    for old, targets in TRANSITIONS.items():
        assert targets <= set(JobState)
        assert old not in targets, f"{old.value} -> {old.value} is listed as a transition"


@pytest.mark.parametrize("pair", ALL_PAIRS, ids=pair_id)
def test_allowed_is_membership_in_the_table(pair: tuple[JobState, JobState]) -> None:
    old, new = pair
    assert allowed(old, new) is (new in TRANSITIONS[old])


@pytest.mark.parametrize("pair", ALL_PAIRS, ids=pair_id)
def test_check_transition_raises_exactly_for_the_pairs_not_allowed(pair: tuple[JobState, JobState]) -> None:
    old, new = pair
    if new in TRANSITIONS[old]:
        check_transition(old, new)
    else:
        with pytest.raises(IllegalTransition) as raised:
            check_transition(old, new)
        assert old.value in str(raised.value) and new.value in str(raised.value)


@pytest.mark.parametrize(
    "pair",
    [
        (S.QUEUED, S.PROBING),
        (S.QUEUED, S.READY),
        (S.QUEUED, S.FAILED),
        (S.READY, S.TRANSCODING),
        (S.TRANSCODING, S.VALIDATING),
        (S.VALIDATING, S.PUBLISHING),
        (S.VALIDATING, S.DONE),
        (S.PUBLISHING, S.DONE),
        (S.FAILED, S.PUBLISHING),  # a retry that only publishes
        (S.INTERRUPTED, S.PUBLISHING),
        (S.DONE, S.PUBLISHING),  # the Publish button
        (S.DONE, S.READY),  # encoded again
        (S.FAILED, S.QUEUED),
        (S.CANCELLED, S.READY),
        (S.TRANSCODING, S.INTERRUPTED),
    ],
    ids=pair_id,
)
def test_the_changes_the_app_needs_are_allowed(pair: tuple[JobState, JobState]) -> None:
    assert allowed(*pair)
    check_transition(*pair)


def test_the_whole_happy_path_is_allowed_step_by_step() -> None:
    path = [S.QUEUED, S.PROBING, S.READY, S.TRANSCODING, S.VALIDATING, S.PUBLISHING, S.DONE]
    for old, new in itertools.pairwise(path):
        check_transition(old, new)


@pytest.mark.parametrize(
    "pair",
    [
        (S.DONE, S.TRANSCODING),  # a done job is made ready again first
        (S.QUEUED, S.DONE),
        (S.QUEUED, S.TRANSCODING),  # never encoded without a probe
        (S.CANCELLED, S.DONE),
        (S.FAILED, S.DONE),
        (S.INTERRUPTED, S.TRANSCODING),
        (S.PUBLISHING, S.TRANSCODING),
        (S.DONE, S.FAILED),
    ],
    ids=pair_id,
)
def test_changes_that_would_lie_about_a_job_are_refused(pair: tuple[JobState, JobState]) -> None:
    assert not allowed(*pair)
    with pytest.raises(IllegalTransition):
        check_transition(*pair)


def test_settled_states_can_only_be_left_by_a_retry_or_a_publish() -> None:
    for settled in (S.DONE, S.FAILED, S.CANCELLED, S.INTERRUPTED):
        assert TRANSITIONS[settled] == {S.QUEUED, S.READY, S.PUBLISHING}


# ---- through the service


@pytest.fixture
def service(tmp_path: Path) -> Iterator[JobService]:
    store = JobStore.open()
    try:
        yield JobService(store, InlineExecutor(), AppSettings(output_dir=str(tmp_path / "out")))
    finally:
        store.close()


def job_in(service: JobService, state: JobState, tmp_path: Path) -> int:
    """A job stored in ``state`` (walked there in the store, which checks nothing)."""
    job_id = service.store.add([tmp_path / "film.mp4"])[0].id
    for step in PATH_TO[state]:
        service.store.transition(job_id, step)
    record = service.store.get(job_id)
    assert record is not None and record.state is state
    return job_id


@pytest.mark.parametrize("pair", ILLEGAL_CHANGES, ids=pair_id)
def test_the_service_refuses_an_illegal_transition_and_stores_nothing(
    service: JobService, tmp_path: Path, pair: tuple[JobState, JobState]
) -> None:
    old, new = pair
    job_id = job_in(service, old, tmp_path)
    before, history = service.store.get(job_id), service.store.history(job_id)
    seen: list[ev.JobEvent] = []
    service.subscribe(seen.append)

    with pytest.raises(IllegalTransition):
        service.transition(job_id, new, error="should not be stored")

    assert service.store.get(job_id) == before
    assert service.store.history(job_id) == history
    assert not [e for e in seen if isinstance(e, ev.JobsChanged)]


def test_one_illegal_change_in_a_batch_stores_none_of_it(service: JobService, tmp_path: Path) -> None:
    legal = job_in(service, S.QUEUED, tmp_path)
    done = job_in(service, S.DONE, tmp_path)
    before = [service.store.get(legal), service.store.get(done)]
    histories = [service.store.history(legal), service.store.history(done)]

    with pytest.raises(IllegalTransition):
        service.transition_many([(legal, S.READY, {}), (done, S.TRANSCODING, {})])

    assert [service.store.get(legal), service.store.get(done)] == before
    assert [service.store.history(legal), service.store.history(done)] == histories


def test_the_service_stores_a_legal_transition(service: JobService, tmp_path: Path) -> None:
    job_id = job_in(service, S.DONE, tmp_path)
    seen: list[ev.JobEvent] = []
    service.subscribe(seen.append)

    record = service.transition(job_id, S.PUBLISHING)

    assert record is not None and record.state is S.PUBLISHING
    assert service.store.history(job_id)[-1][1] is S.PUBLISHING
    changed = [e for e in seen if isinstance(e, ev.JobsChanged)]
    assert [r.state for e in changed for r in e.records] == [S.PUBLISHING]
