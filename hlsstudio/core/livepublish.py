"""Publish while encoding: upload each segment and thumbnail as soon as ffmpeg has finished it.

ffmpeg writes segments (``-hls_flags temp_file``) and thumbnails (``-atomic_writing 1``) under a
temporary name and renames them when complete, so a file under its final name in the working
folder is final. A watcher thread scans the folder while ffmpeg runs and hands finished files to
the upload pool. After validation, ``finish`` uploads what is left (last segments, variant
playlists, poster) and the master last — the same order guarantees as ``publish_package``.

Cancel or an invalid package: ``abort`` stops the watcher, waits for uploads in flight and removes
every object this run stored, so nothing half-published stays behind.

Files go to a new build of the title (``core.builds``), so a title that is already live is
streamed too: its viewers keep the old build, untouched, until the new master is written.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

from hlsstudio.core.builds import remember_build
from hlsstudio.core.errors import CancelledError, LiveTitleError, StorageError
from hlsstudio.core.layout import is_final_while_encoding
from hlsstudio.core.models import ContentType, PublishResult
from hlsstudio.core.publish import (
    PackageFile,
    ProgressCallback,
    PublishOptions,
    UploadContext,
    UploadState,
    complete_publish,
    open_upload,
    package_files,
    raise_failures,
    upload_one,
)
from hlsstudio.core.storage.base import Destination
from hlsstudio.core.sweep import live_since, live_title

log = logging.getLogger(__name__)

SCAN_SECONDS = 0.5


class LivePublisher:
    """Streams a package to a destination while it is written, then completes it with the master."""

    def __init__(
        self,
        destination: Destination,
        content_type: ContentType,
        content_id: str,
        *,
        options: PublishOptions | None = None,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        stream: bool = True,
        package_dir: Path | None = None,
        replace_live: bool = True,
    ) -> None:
        """Validate the id and list the prefix now (fail before encoding, not after).

        ``stream=False`` uploads everything in ``finish``. ``package_dir`` (a finished package) lets a
        publish that failed before resume its unfinished build. ``replace_live=False``: ``finish``
        refuses (LiveTitleError, before the master) when the title is already live.

        Raises ConfigError for an unsafe content id and StorageError when the destination cannot
        be listed.
        """
        self.content = (content_type, content_id)
        self._ctx: UploadContext = open_upload(
            destination,
            content_type,
            content_id,
            options=options,
            on_progress=on_progress,
            cancel=cancel,
            package_dir=package_dir,
        )
        self.streaming = stream
        self.replace_live = replace_live
        self._started = time.monotonic()
        self._pool = ThreadPoolExecutor(
            self._ctx.options.upload_concurrency, thread_name_prefix="live-publish"
        )
        self._submitted: dict[str, tuple[PackageFile, Future[bool]]] = {}
        self._lock = threading.Lock()
        self._watch_stop = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def destination(self) -> Destination:
        """Where the package goes."""
        return self._ctx.destination

    @property
    def cancel(self) -> threading.Event:
        """The event that stops the uploads (shared with the job)."""
        return self._ctx.cancel

    def check_live(self) -> None:
        """Raise LiveTitleError when the title is live and replacing it was not allowed."""
        if self.replace_live:
            return
        live = live_title(self._ctx.destination, self._ctx.title_prefix)
        if live is not None and live.build != self._ctx.build:
            kind, content_id = self.content
            raise LiveTitleError(
                f"not published: {kind.value} '{content_id}' is live (published {live_since(live)}); "
                "press Publish to replace it"
            )

    def _offer(self, path: Path) -> None:
        with self._lock:
            if path.name in self._submitted or self._ctx.cancel.is_set():
                return
            item = PackageFile(path.name, path, path.stat().st_size)
            self._ctx.tracker.add(item.name, item.size)
            self._submitted[item.name] = (item, self._pool.submit(upload_one, self._ctx, item))

    def scan(self, work_dir: Path) -> None:
        """Submit every finished segment/thumbnail in ``work_dir`` not submitted yet."""
        try:
            names = sorted(p.name for p in work_dir.iterdir())
        except OSError:
            return  # the folder went away (job ending): nothing to add
        for name in names:
            if is_final_while_encoding(name):
                try:
                    self._offer(work_dir / name)
                except FileNotFoundError:
                    continue

    def remember(self, package_dir: Path) -> None:
        """Note the build in the (app-made) package or working folder, so a retry resumes it."""
        remember_build(package_dir, self._ctx.destination, self._ctx.title_prefix, self._ctx.build)

    def watch(self, work_dir: Path) -> None:
        """Start scanning ``work_dir`` in the background (no-op when not streaming)."""
        self.remember(work_dir)
        if not self.streaming or self._watcher is not None:
            return

        def loop() -> None:
            while not self._watch_stop.wait(SCAN_SECONDS):
                self.scan(work_dir)

        self._watch_stop.clear()
        self._watcher = threading.Thread(target=loop, name="live-publish-watch", daemon=True)
        self._watcher.start()

    def stop_watching(self, work_dir: Path | None = None) -> None:
        """Stop the watcher; with ``work_dir``, take one last look (ffmpeg has exited)."""
        if self._watcher is not None:
            self._watch_stop.set()
            self._watcher.join()
            self._watcher = None
        if work_dir is not None and self.streaming:
            self.scan(work_dir)

    def drain(self) -> tuple[list[PackageFile], list[StorageError]]:
        """Wait for every submitted upload; (files sent, failures). Raises CancelledError."""
        with self._lock:
            submitted = list(self._submitted.values())
        wait([future for _, future in submitted])
        sent: list[PackageFile] = []
        failures: list[StorageError] = []
        cancelled = False
        for item, future in submitted:
            exc = future.exception()
            if exc is None:
                if future.result():
                    sent.append(item)
            elif isinstance(exc, CancelledError):
                cancelled = True
            elif isinstance(exc, StorageError):
                failures.append(exc)
            else:
                failures.append(StorageError(f"cannot upload {item.name}: {exc}"))
        if cancelled or self._ctx.cancel.is_set():
            raise CancelledError("publishing cancelled; the master playlist was not written")
        return sent, failures

    def finish(self, package_dir: Path) -> PublishResult:
        """Upload what is left of the finished package, then the master; the publish result.

        Raises StorageError (master not written), LiveTitleError or CancelledError. Whatever happens,
        the upload threads are gone when it returns.
        """
        self.stop_watching()
        try:
            self.check_live()
            self.remember(package_dir)
            return self._complete(package_dir)
        finally:
            self._pool.shutdown(wait=True)

    def _complete(self, package_dir: Path) -> PublishResult:
        _, failures = self.drain()
        raise_failures(failures)  # a segment that failed while encoding: stop before sending more
        files = package_files(package_dir)
        with self._lock:
            submitted = set(self._submitted)
        for item in files:
            self._ctx.tracker.add(item.name, item.size)
            if item.name not in submitted:
                self._ctx.tracker.update(item.name, UploadState.QUEUED)
        for item in files[:-1]:
            if item.name not in submitted:
                self._offer(item.path)
        sent, failures = self.drain()
        raise_failures(failures)
        sent_names = {item.name for item in sent}
        uploaded = [f for f in files[:-1] if f.name in sent_names]
        return complete_publish(self._ctx, files, uploaded, started=self._started, content=self.content)

    def close(self, package_dir: Path) -> None:
        """Stop without publishing: uploads in flight end and are kept, the package remembers its
        build (a later publish of it resumes there), the upload threads go. No master is written."""
        self.stop_watching()
        try:
            self.remember(package_dir)
            with self._lock:
                submitted = list(self._submitted.values())
            wait([future for _, future in submitted])
        finally:
            self._pool.shutdown(wait=True)

    def _may_be_stored(self, item: PackageFile, future: Future[bool]) -> bool:
        """Whether this run's upload of ``item`` left an object behind: it finished, or it was stopped
        or failed after its request went out (a cancelled request can still land), so ask the store."""
        if future.exception() is None:
            return future.result()  # False: an identical object was already there before this run
        try:
            return self._ctx.destination.head(self._ctx.prefix + item.name) is not None
        except StorageError:
            return True  # cannot tell: deleting a key that is not there is harmless

    def abort(self) -> int:
        """Stop, wait for uploads in flight, remove every object this run stored; the count removed."""
        self.stop_watching()
        self._ctx.cancel.set()
        with self._lock:
            submitted = list(self._submitted.values())
        wait([future for _, future in submitted])
        self._pool.shutdown(wait=True)
        stored = [
            self._ctx.prefix + item.name for item, future in submitted if self._may_be_stored(item, future)
        ]
        if not stored:
            return 0
        try:
            removed = self._ctx.destination.delete_keys(stored)
        except StorageError as exc:
            log.warning("could not remove %d uploaded objects: %s", len(stored), exc.message)
            return 0
        for key in stored:
            self._ctx.tracker.update(key.removeprefix(self._ctx.prefix), UploadState.FAILED)
        return removed
