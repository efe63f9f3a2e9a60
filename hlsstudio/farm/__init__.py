"""The render farm: Celery workers with a Redis broker encode a title in chunks of whole segments.

The desktop (or the command line) keeps its job service and stages; only the encode stage runs on the
farm (``remote.farm_encode``): the source goes to the bucket, the title is cut into chunks on the
one-process encode's segment grid (``chunks``), workers encode each chunk's rungs from one decode
(``chunkcmd``, ``tasks``) and the sound once for the whole title, an I/O worker joins the chunks'
segments into the variant playlists without re-encoding (``stitch``), and the job's own finalize,
validate and publish stages take it from there. Qt-free; the workers run ``hlsstudio-worker``.
"""
