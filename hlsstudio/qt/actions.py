"""The window's actions (menu, toolbar, context menu and shortcuts share them) and where they appear."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar, QToolButton, QWidget

from hlsstudio.core.jobs.actions import RETRYABLE, WAITING
from hlsstudio.core.jobstore import JobRecord
from hlsstudio.qt.icons import icon
from hlsstudio.qt.job_status import publishable, retry_label
from hlsstudio.qt.preview.package import can_preview

if TYPE_CHECKING:
    from hlsstudio.qt.queue_controller import QueueController

PRIMARY = ("add_files", "start", "pause", "publish")


@dataclass
class WindowActions:
    """Every action of the main window."""

    add_files: QAction
    add_folder: QAction
    start: QAction
    pause: QAction
    cancel: QAction
    retry: QAction
    remove: QAction
    move_top: QAction
    move_up: QAction
    move_down: QAction
    publish: QAction
    preview: QAction
    open_folder: QAction
    copy_url: QAction
    details: QAction
    settings: QAction
    show_log: QAction
    quit: QAction

    def all(self) -> list[QAction]:
        """Every action, in declaration order."""
        return [getattr(self, f.name) for f in fields(self)]


def _action(parent: QWidget, text: str, icon_name: str | None, shortcut: str | None, tip: str) -> QAction:
    action = QAction(text, parent)
    if icon_name:
        action.setIcon(icon(icon_name))
    action.setStatusTip(tip)
    action.setToolTip(tip)
    if shortcut:
        sequence = QKeySequence(shortcut)
        action.setShortcut(sequence)
        action.setToolTip(f"{tip} ({sequence.toString(QKeySequence.SequenceFormat.NativeText)})")
    return action


def create_actions(parent: QWidget) -> WindowActions:
    """The actions with their icons, shortcuts and tips (not yet connected)."""
    actions = WindowActions(
        add_files=_action(parent, "Add files…", "add-files", "Ctrl+O", "Queue video files"),
        add_folder=_action(
            parent, "Add folder…", "add-folder", "Ctrl+Shift+O", "Queue every video in a folder"
        ),
        start=_action(parent, "Start", "start", "Ctrl+Return", "Start the queue"),
        pause=_action(
            parent, "Pause", "pause", "Ctrl+Shift+Return", "Pause after the current job: it finishes"
        ),
        cancel=_action(parent, "Cancel", "cancel", "Ctrl+.", "Cancel the selected jobs"),
        retry=_action(
            parent, "Retry", "retry", "Ctrl+R", "Publish again (publish failed) or encode again (failed)"
        ),
        remove=_action(parent, "Remove", "remove", "Del", "Remove the selected jobs from the queue"),
        move_top=_action(parent, "Move to top", "move-top", "Ctrl+Home", "Run the selected jobs first"),
        move_up=_action(parent, "Move up", "move-up", "Ctrl+Up", "Move the selected jobs up"),
        move_down=_action(parent, "Move down", "move-down", "Ctrl+Down", "Move the selected jobs down"),
        publish=_action(parent, "Publish", "publish", "Ctrl+P", "Publish the selected (or all) encoded jobs"),
        preview=_action(
            parent, "Preview", "preview", "Ctrl+Shift+P", "Play the finished package: rungs, sound, subtitles"
        ),
        open_folder=_action(parent, "Open output folder", "open-folder", "Ctrl+E", "Show the package folder"),
        copy_url=_action(parent, "Copy HLS URL", "copy-link", "Ctrl+Shift+C", "Copy the public master URL"),
        details=_action(
            parent, "Details…", "details", "Ctrl+I", "What happened, what to do, and the technical detail"
        ),
        settings=_action(
            parent, "Settings…", "settings", "Ctrl+,", "Encoding, destination and FFmpeg settings"
        ),
        show_log=_action(parent, "Show log", "log", "Ctrl+L", "Open the log window"),
        quit=_action(parent, "Quit", None, "Ctrl+Q", "Quit HLS Studio"),
    )
    actions.quit.setMenuRole(QAction.MenuRole.QuitRole)
    actions.settings.setMenuRole(QAction.MenuRole.PreferencesRole)
    return actions


def build_menus(window: QMainWindow, a: WindowActions) -> None:
    """File, Queue and View menus."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addActions([a.add_files, a.add_folder])
    file_menu.addSeparator()
    file_menu.addAction(a.settings)
    file_menu.addSeparator()
    file_menu.addAction(a.quit)
    queue_menu = bar.addMenu("&Queue")
    queue_menu.addActions([a.start, a.pause])
    queue_menu.addSeparator()
    queue_menu.addActions([a.cancel, a.retry, a.remove])
    queue_menu.addSeparator()
    queue_menu.addActions([a.move_top, a.move_up, a.move_down])
    queue_menu.addSeparator()
    queue_menu.addAction(a.publish)
    view_menu = bar.addMenu("&View")
    view_menu.addActions([a.preview, a.details, a.open_folder, a.copy_url])
    view_menu.addSeparator()
    view_menu.addAction(a.show_log)


def build_toolbar(window: QMainWindow, a: WindowActions) -> QToolBar:
    """The main toolbar (text beside icons for the primary actions)."""
    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("main-toolbar")
    toolbar.setMovable(False)
    groups = [
        [a.add_files, a.add_folder],
        [a.start, a.pause],
        [a.cancel, a.retry, a.remove],
        [a.move_top, a.move_up, a.move_down],
        [a.publish, a.preview, a.details, a.open_folder, a.copy_url],
        [a.settings, a.show_log],
    ]
    for n, group in enumerate(groups):
        if n:
            toolbar.addSeparator()
        toolbar.addActions(group)
    for name in PRIMARY:
        button = toolbar.widgetForAction(getattr(a, name))
        if isinstance(button, QToolButton):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    return toolbar


def row_menu(parent: QWidget, a: WindowActions, extra: Sequence[QAction] = ()) -> QMenu:
    """The queue's context menu (``extra``: more actions at its end, e.g. the farm's)."""
    menu = QMenu(parent)
    menu.addActions([a.preview, a.details, a.open_folder, a.copy_url])
    menu.addSeparator()
    menu.addActions([a.publish, a.cancel, a.retry])
    menu.addSeparator()
    menu.addActions([a.move_top, a.move_up, a.move_down])
    menu.addSeparator()
    menu.addAction(a.remove)
    if extra:
        menu.addSeparator()
        menu.addActions(list(extra))
    return menu


def update_action_states(
    a: WindowActions, controller: QueueController, records: list[JobRecord]
) -> list[str]:
    """Enable what applies to the selected jobs; returns why Start is blocked (empty: it is not)."""
    states = {r.state for r in records}
    blockers = controller.start_blockers()
    a.start.setEnabled(not blockers and not controller.running)
    a.pause.setEnabled(controller.running)
    a.start.setToolTip(
        "Start the queue (Ctrl+Return)" if not blockers else "Cannot start: " + "; ".join(blockers)
    )
    pausing = controller.queue_state()
    a.pause.setText("Pausing…" if pausing.startswith("Pausing") else "Paused" if pausing else "Pause")
    a.cancel.setEnabled(any(s in WAITING or s.is_active for s in states))
    a.retry.setEnabled(bool(states & RETRYABLE))
    a.retry.setText(retry_label([r for r in records if r.state in RETRYABLE]))
    a.remove.setEnabled(bool(records))
    model = controller.model
    rows = sorted(n for n in map(model.row_of, (r.id for r in records)) if n is not None)
    at_top = rows == list(range(len(rows)))
    at_bottom = rows == list(range(model.rowCount() - len(rows), model.rowCount()))
    a.move_top.setEnabled(bool(rows) and not at_top)
    a.move_up.setEnabled(bool(rows) and not at_top)
    a.move_down.setEnabled(bool(rows) and not at_bottom)
    unpublished = model.unpublished()
    a.publish.setEnabled(any(map(publishable, records)) or (not records and bool(unpublished)))
    a.preview.setEnabled(len(records) == 1 and can_preview(records[0]))
    a.open_folder.setEnabled(len(records) == 1 and bool(records[0].out_dir))
    a.copy_url.setEnabled(any(r.hls_url for r in records))
    a.details.setEnabled(len(records) == 1)
    return blockers
