"""The benchmarks' helpers are scripts beside each other in bench/ (they import ``common`` and each
other by name): their folder goes on the import path for these tests."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))
