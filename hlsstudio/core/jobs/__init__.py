"""A job's life: the context its stages share, the stages themselves, and the order they run in."""
