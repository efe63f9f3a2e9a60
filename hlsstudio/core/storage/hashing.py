"""Content hashes that tell whether a stored object already holds a local file's bytes.

S3-compatible stores report an ETag that is the MD5 of the body for single-part uploads and
``md5(md5(part1) + md5(part2) + …)-N`` for multipart uploads; both can be computed locally.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from s3transfer.utils import ChunksizeAdjuster

READ_SIZE = 1024 * 1024


def md5_file(path: Path) -> str:
    """Hex MD5 of the whole file. Raises OSError when it cannot be read."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while block := fh.read(READ_SIZE):
            digest.update(block)
    return digest.hexdigest()


def effective_part_size(part_size: int, file_size: int) -> int:
    """The part size the uploader really uses for a file (S3 limits: >= 5 MiB, <= 10,000 parts)."""
    adjusted: int = ChunksizeAdjuster().adjust_chunksize(part_size, file_size)
    return adjusted


def multipart_etag(path: Path, part_size: int) -> str:
    """The ETag a multipart upload of ``path`` with parts of ``part_size`` bytes gets: ``<hex>-N``.

    Raises OSError when the file cannot be read.
    """
    part_digests: list[bytes] = []
    with path.open("rb") as fh:
        while True:
            digest = hashlib.md5(usedforsecurity=False)
            remaining = part_size
            while remaining > 0:
                block = fh.read(min(READ_SIZE, remaining))
                if not block:
                    break
                digest.update(block)
                remaining -= len(block)
            if remaining == part_size:
                break
            part_digests.append(digest.digest())
    combined = hashlib.md5(b"".join(part_digests), usedforsecurity=False).hexdigest()
    return f"{combined}-{len(part_digests)}"


def etag_matches(etag: str, path: Path, size: int, part_size: int) -> bool:
    """True when ``etag`` (quotes allowed) is the ETag of local file ``path`` of ``size`` bytes.

    Plain ETags are compared with the file's MD5; ``-N`` ETags with the multipart ETag computed
    with the part size the uploader uses for this size. Raises OSError on a read error.
    """
    etag = etag.strip('"').lower()
    if not etag:
        return False
    if "-" in etag:
        return multipart_etag(path, effective_part_size(part_size, size)) == etag
    return md5_file(path) == etag
