"""The engine: pure Python, no Qt. Probe, plan, transcode, validate, publish."""
