"""HLS packages: reading TS segments, measuring variants, writing the master playlist, validating."""

from hlsstudio.core.hls.master import (
    MASTER_NAME,
    MasterVariantSpec,
    PlaylistMeasure,
    finalize_master,
    measure_playlist,
    playlist_name_for,
)
from hlsstudio.core.hls.tsinfo import SegmentInfo, SegmentReadError, read_segment_info
from hlsstudio.core.hls.validate import validate_package

__all__ = [
    "MASTER_NAME",
    "MasterVariantSpec",
    "PlaylistMeasure",
    "SegmentInfo",
    "SegmentReadError",
    "finalize_master",
    "measure_playlist",
    "playlist_name_for",
    "read_segment_info",
    "validate_package",
]
