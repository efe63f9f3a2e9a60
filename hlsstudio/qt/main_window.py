"""The main window: the queue on the left, source facts, tracks and ladder on the right, publishing below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QHeaderView, QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

from hlsstudio.core.errors import HlsStudioError
from hlsstudio.core.jobstore import JobRecord, JobStore
from hlsstudio.core.ladder import PresetLanguages, preset_languages_words, with_preset_languages
from hlsstudio.core.logs import log_file
from hlsstudio.core.models import Rung
from hlsstudio.core.settings import AppSettings, save_settings
from hlsstudio.qt import tasks, window_layout
from hlsstudio.qt.actions import build_menus, build_toolbar, create_actions, row_menu, update_action_states
from hlsstudio.qt.columns import Column
from hlsstudio.qt.destination_status import DestinationStatus
from hlsstudio.qt.farm_wiring import attach_farm
from hlsstudio.qt.file_drops import route_drop
from hlsstudio.qt.icons import app_icon
from hlsstudio.qt.notifications import Notifier
from hlsstudio.qt.pools import Pools, thread_pools
from hlsstudio.qt.preview.windows import PreviewWindows
from hlsstudio.qt.queue_controller import QueueController
from hlsstudio.qt.quit_question import quit_question
from hlsstudio.qt.row_commands import RowCommands
from hlsstudio.qt.widgets.details_dialog import DetailsDialog
from hlsstudio.qt.widgets.drop_zone import DropZone, paths_from_mime
from hlsstudio.qt.widgets.ladder_editor import LadderEditor
from hlsstudio.qt.widgets.ladder_tab import LadderTab
from hlsstudio.qt.widgets.log_window import LogWindow
from hlsstudio.qt.widgets.metadata_panel import MetadataPanel
from hlsstudio.qt.widgets.publish_panel import PublishPanel
from hlsstudio.qt.widgets.queue_area import QueueArea
from hlsstudio.qt.widgets.queue_view import QueueView
from hlsstudio.qt.widgets.settings_dialog import SettingsDialog
from hlsstudio.qt.widgets.tracks_panel import TracksPanel
from hlsstudio.qt.workers import CallWorker

DEFAULT_SIZE = (1280, 800)
STATUS_MS = 6000
SAVE_DELAY_MS = 400
VIDEO_FILTER = (
    "Videos (*.mp4 *.mov *.m4v *.mkv *.avi *.webm *.mxf *.ts *.mts *.m2ts *.mpg *.mpeg *.wmv);;All files (*)"
)


class MainWindow(QMainWindow):
    """Adapts the QueueController to widgets; closes the job store at exit when it owns it."""

    def __init__(
        self,
        settings: AppSettings,
        *,
        store: JobStore | None = None,
        pools: Pools | None = None,
        owns_store: bool | None = None,
        remember: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.remember = remember
        self._owns_store = store is None if owns_store is None else owns_store
        self.store = store or JobStore.open()
        self.controller = QueueController(
            self.store, settings, pools or thread_pools(settings.concurrent_jobs), self
        )
        self.commands = create_actions(self)
        self.rows = RowCommands(self)
        self.notifier = Notifier(self)
        self.previews = PreviewWindows(self.controller.pools.io, self)
        self._settings_dialog: SettingsDialog | None = None
        self._log_window: LogWindow | None = None
        self._closed = False
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save_settings)
        self.setWindowTitle("HLS Studio")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self._build()
        self._connect()
        self.restore_layout()
        self.farm = attach_farm(self)  # the farm's settings page hook, row actions, Farm tab, shutdown
        self.controller.load()
        self._update_actions()

    # ---- building

    def _build(self) -> None:
        build_menus(self, self.commands)
        self.toolbar = build_toolbar(self, self.commands)
        self.table = QueueView(self.controller.model)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.drop_zone = DropZone()
        self.queue_area = QueueArea(self.table, self.drop_zone)
        self.metadata = MetadataPanel(self.controller)
        self.tracks_panel = TracksPanel(self.controller)
        self.ladder_editor = LadderEditor(list(self.settings.ladder))
        self.ladder_tab = LadderTab(self.ladder_editor, self.controller)
        self.publish_panel = PublishPanel(self.controller)
        self.side_tabs = QTabWidget()
        self.side_tabs.addTab(self.metadata, "Source")
        self.side_tabs.addTab(self.ladder_tab, "Ladder")
        self.side_tabs.addTab(self.tracks_panel, "Tracks")
        self.bottom_splitter = window_layout.splitter(
            Qt.Orientation.Horizontal, self.publish_panel, self.side_tabs, (1, 1)
        )
        self.main_splitter = window_layout.splitter(
            Qt.Orientation.Vertical, self.queue_area, self.bottom_splitter, (3, 2)
        )
        self.main_splitter.setSizes([430, 300])
        self.bottom_splitter.setSizes([560, 720])
        self.setCentralWidget(self.main_splitter)
        self.destination_label = DestinationStatus(self.controller.pools.io)
        self.toolchain_label = QLabel("Looking for FFmpeg…")
        self.statusBar().addPermanentWidget(self.destination_label)
        self.statusBar().addPermanentWidget(self.toolchain_label)
        self._show_destination()

    def _connect(self) -> None:
        a, c = self.commands, self.controller
        a.add_files.triggered.connect(self.pick_files)
        a.add_folder.triggered.connect(self.pick_folder)
        rows = self.rows
        a.start.triggered.connect(rows.start)
        a.pause.triggered.connect(c.pause)
        a.cancel.triggered.connect(rows.cancel)
        a.retry.triggered.connect(rows.retry)
        a.remove.triggered.connect(rows.remove)
        a.move_top.triggered.connect(lambda: self._move("top"))
        a.move_up.triggered.connect(lambda: self._move("up"))
        a.move_down.triggered.connect(lambda: self._move("down"))
        a.publish.triggered.connect(rows.publish)
        a.preview.triggered.connect(lambda: self.previews.open(self.selected_records()))
        a.open_folder.triggered.connect(rows.open_folder)
        a.copy_url.triggered.connect(rows.copy_url)
        a.details.triggered.connect(self.show_details)
        a.settings.triggered.connect(self.show_settings)
        a.show_log.triggered.connect(self.show_log)
        a.quit.triggered.connect(self.close)
        self.drop_zone.add_files_clicked.connect(self.pick_files)
        self.drop_zone.add_folder_clicked.connect(self.pick_folder)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.doubleClicked.connect(self._on_double_click)
        self.table.files_dropped.connect(self.drop_files)
        model = c.model
        model.rowsInserted.connect(self._on_rows_changed)
        model.rowsRemoved.connect(self._on_rows_changed)
        model.modelReset.connect(self._on_rows_changed)
        c.message.connect(self.say)
        c.live_failed.connect(lambda reason: self.destination_label.show_test_result(False, reason))
        c.live_listed.connect(lambda: self.destination_label.show_test_result(True, ""))
        c.running_changed.connect(lambda _running: self._update_actions())
        c.job_updated.connect(lambda _id: self._update_actions())
        c.blockers_changed.connect(self._update_actions)
        c.toolchain_changed.connect(self._show_toolchain)
        c.queue_finished.connect(self._on_queue_finished)
        self.ladder_editor.ladder_changed.connect(self._on_ladder_changed)
        self.ladder_editor.pending_changed.connect(
            lambda pending: self.side_tabs.setTabText(1, "Ladder • not applied" if pending else "Ladder")
        )
        self.ladder_editor.message.connect(self.say)
        self.ladder_editor.languages_chosen.connect(self._on_languages_chosen)
        self.publish_panel.url_copied.connect(lambda url: self.say(f"Copied {url}"))

    # ---- selection and action state

    def selected_ids(self) -> list[int]:
        """Ids of the selected jobs, in queue order."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [self.controller.model.record_at(row).id for row in rows]

    def selected_records(self) -> list[JobRecord]:
        """The selected jobs' records, in queue order."""
        model = self.controller.model
        return [r for r in (model.record(i) for i in self.selected_ids()) if r is not None]

    def _on_selection(self) -> None:
        current = self.table.selectionModel().currentIndex()
        records = self.selected_records()
        focused = self.controller.model.record_at(current.row()) if current.isValid() else None
        shown = focused if focused is not None and focused.id in {r.id for r in records} else None
        job = shown or (records[0] if records else None)
        self.metadata.show_job(job)
        for panel in (self.tracks_panel, self.ladder_tab):
            panel.show_job(job, len(records))
        self._update_actions()

    def _update_actions(self) -> None:
        records = self.selected_records()
        blockers = update_action_states(self.commands, self.controller, records)
        self.queue_area.show_banner(blockers, self.controller.queue_state())
        self.queue_area.show_message(records[0] if len(records) == 1 else None)

    def _on_rows_changed(self) -> None:
        self.queue_area.show_rows(bool(self.controller.model.rowCount()))
        self._update_actions()

    def say(self, text: str) -> None:
        """A passing message in the status bar."""
        self.statusBar().showMessage(text, STATUS_MS)

    def _show_toolchain(self) -> None:
        c = self.controller
        if c.toolchain is not None:
            self.toolchain_label.setText(f"FFmpeg {c.toolchain.capabilities.version}")
            self.toolchain_label.setToolTip(c.toolchain.ffmpeg)
        else:
            self.toolchain_label.setText("FFmpeg missing")
            self.toolchain_label.setToolTip(c.toolchain_error or "")
        self._update_actions()

    def _show_destination(self, secret_typed: bool = False) -> None:
        known = True if secret_typed else None
        self.destination_label.show_settings(self.settings.destination, secret_known=known)
        self.publish_panel.refresh_destination()

    # ---- adding files

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if paths_from_mime(event.mimeData()):
            event.acceptProposedAction()

    dragMoveEvent = dragEnterEvent  # type: ignore[assignment]  # noqa: N815  (the same test)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = paths_from_mime(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.drop_files(paths, None)

    def drop_files(self, paths: list[Path], job_id: int | None) -> None:
        """Queue dropped videos and folders; add subtitle and audio files to the job dropped on."""
        route_drop(self.controller, paths, job_id)

    def add_paths(self, paths: list[Path]) -> None:
        """Queue files and folders (folders are scanned in a worker)."""
        self.controller.add_paths(paths)

    def pick_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Add video files", "", VIDEO_FILTER)
        self.add_paths([Path(n) for n in names])

    def pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of videos")
        if folder:
            self.add_paths([Path(folder)])

    # ---- row actions

    def confirm(self, title: str, text: str) -> bool:
        """Ask a yes/no decision (the only modal dialogs of the app)."""
        answer = QMessageBox.question(self, title, text, defaultButton=QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _move(self, where: Any) -> None:
        ids = self.selected_ids()
        self.controller.move(ids, where)
        self.select_ids(ids)

    def select_ids(self, ids: list[int]) -> None:
        """Select these jobs' rows (and only them)."""
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = selection.SelectionFlag.Select | selection.SelectionFlag.Rows
        for job_id in ids:
            row = self.controller.model.row_of(job_id)
            if row is not None:
                selection.select(self.controller.model.index(row, 0), flags)

    def show_details(self) -> DetailsDialog | None:
        records = self.selected_records()
        if len(records) != 1:
            return None
        dialog = DetailsDialog(records[0], self.store.history(records[0].id), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _on_double_click(self, index: Any) -> None:
        if index.column() not in (Column.CONTENT_TYPE, Column.CONTENT_ID):
            self.show_details()

    def _context_menu(self, pos: QPoint) -> None:
        row_menu(self, self.commands, self.farm.menu_actions()).popup(self.table.viewport().mapToGlobal(pos))

    def _on_queue_finished(self, done: int, failed: int) -> None:
        text = f"{done} done" + (f", {failed} failed" if failed else "")
        self.notifier.notify("Queue finished", text)

    # ---- settings

    def _on_ladder_changed(self, rungs: list[Rung] | None, problems: list[str]) -> None:
        self.controller.set_ladder(rungs, problems)
        if rungs is not None:
            self.settings = self.settings.model_copy(update={"ladder": rungs})
            self.controller.settings = self.settings
            self._save_timer.start()

    def _on_languages_chosen(self, languages: PresetLanguages) -> None:
        """A preset that names default languages was applied: new jobs start with them."""
        encode = with_preset_languages(self.settings.encode, languages)
        self.apply_settings(self.settings.model_copy(update={"encode": encode}))
        self.say(f"New jobs start with {preset_languages_words(languages)}")

    def show_settings(self) -> SettingsDialog:
        if self._settings_dialog is None:
            dialog = SettingsDialog(self.settings, self.controller, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.settings_accepted.connect(self.apply_settings)
            dialog.connection_tested.connect(self.destination_label.show_test_result)
            dialog.destroyed.connect(self._forget_settings_dialog)
            self._settings_dialog = dialog
        self._settings_dialog.show()
        self._settings_dialog.raise_()
        return self._settings_dialog

    def _forget_settings_dialog(self) -> None:
        self._settings_dialog = None

    def apply_settings(self, settings: AppSettings, secret: str = "") -> None:
        """Use and save new settings (the ladder and window layout stay as they are now)."""
        self.settings = settings.model_copy(update={"ladder": self.settings.ladder, "ui": self.settings.ui})
        self.controller.apply_settings(self.settings)
        self.save_settings()
        self._show_destination(secret_typed=bool(secret))
        if secret:
            access_key = self.settings.destination.access_key_id
            worker = CallWorker("secret", tasks.save_secret, secret, access_key)
            worker.signals.done.connect(self._on_secret_saved)
            worker.signals.failed.connect(self._on_secret_failed)
            self.controller.run_call(worker)

    def _on_secret_saved(self, _tag: object, _value: object) -> None:
        self.statusBar().showMessage("Secret access key saved in the system keyring", STATUS_MS)

    def _on_secret_failed(self, _tag: object, error: HlsStudioError) -> None:
        self.statusBar().showMessage(error.message, STATUS_MS)

    def save_settings(self) -> None:
        """Write the settings file now (never for a window made with ``remember=False``)."""
        self._save_timer.stop()
        if not self.remember:
            return
        try:
            save_settings(self.settings)
        except OSError as exc:
            self.statusBar().showMessage(f"Settings not saved: {exc}", STATUS_MS)

    def show_log(self) -> LogWindow:
        if self._log_window is None:
            self._log_window = LogWindow(log_file(), self.controller.pools.io)
            self._log_window.setWindowIcon(app_icon())
        self._log_window.show()
        self._log_window.raise_()
        return self._log_window

    # ---- window state

    def queue_header(self) -> QHeaderView:
        """The queue's column header (its widths and order are remembered)."""
        return self.table.horizontalHeader()

    def restore_layout(self) -> None:
        """Size, position and splitters as they were (1280x800 the first time)."""
        if not window_layout.restore(self, self.settings.ui):
            self.resize(*DEFAULT_SIZE)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closed:
            event.accept()
            return
        question = quit_question(self.controller)  # farm jobs go on; the rest are cancelled
        if question and not self.confirm("Quit HLS Studio", question):
            event.ignore()
            return
        self._closed = True
        layout = window_layout.save(self)
        self.settings = self.settings.model_copy(update={"ui": {**self.settings.ui, **layout}})
        self.save_settings()
        self.controller.shutdown()
        self.notifier.hide()
        self.previews.close_all()
        if self._log_window is not None:
            self._log_window.close()
        if self._owns_store:
            self.store.close()
        event.accept()
