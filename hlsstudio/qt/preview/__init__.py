"""The preview window: a finished package played in the app, with its rungs, sound and subtitles."""
