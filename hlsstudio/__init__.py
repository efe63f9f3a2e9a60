"""HLS Studio: source videos in, adaptive HLS out, published to R2."""

__version__ = "0.1.0"
