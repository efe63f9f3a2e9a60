"""Measured picture quality: VMAF (or SSIM where no VMAF-capable FFmpeg is found) of encodes against
their source, for the per-rung quality of finished jobs and the per-title ladder analysis.

* ``metric``: which FFmpeg measures what (``find_quality_tool``), the command, reading its scores.
"""
