"""The queue table's columns, in display order, and their headers."""

from __future__ import annotations

from enum import IntEnum


class Column(IntEnum):
    """The queue's columns, in display order."""

    FILE = 0
    DURATION = 1
    RESOLUTION = 2
    RUNGS = 3
    CONTENT_TYPE = 4
    CONTENT_ID = 5
    STATE = 6
    PROGRESS = 7
    OUTCOME = 8
    RUNS_ON = 9


HEADERS = {
    Column.FILE: "File",
    Column.DURATION: "Duration",
    Column.RESOLUTION: "Resolution",
    Column.RUNGS: "Rungs",
    Column.CONTENT_TYPE: "Type",
    Column.CONTENT_ID: "Content ID",
    Column.STATE: "State",
    Column.PROGRESS: "Progress",
    Column.OUTCOME: "Outcome",
    Column.RUNS_ON: "Runs on",
}
PLACES = {"local": "This computer", "farm": "Farm"}
"""What the "Runs on" column says for a job's ``runs_on``."""
