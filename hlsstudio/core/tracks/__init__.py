"""A job's audio and subtitle tracks: what the source and the files beside it hold, what is carried.

* ``choices``: ``TrackChoice`` / ``JobTracks``, stored with the job and edited in the Tracks tab.
* ``selection``: ``all|first|none|en,fr`` selections and the default tracks.
* ``discover``: the first track list of a job, from the probe and the side files.
* ``attach``: adding a file the user chose or dropped.
* ``audio``: the audio renditions an encode makes (one per carried track and audio rate).
"""
