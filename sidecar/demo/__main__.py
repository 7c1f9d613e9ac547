"""``python -m sidecar.demo DATA_DIR``: the demo server alone, in a process of its own.

Prints ``READY <url>`` once it listens, then serves until SIGTERM or Ctrl-C. The benchmark runs
it this way so that the server's CPU and memory are not counted as the client's.
"""

from __future__ import annotations

import argparse
import signal
import threading
from datetime import date
from pathlib import Path
from types import FrameType

from sidecar.demo.seed import seed
from sidecar.demo.server import DemoServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sidecar.demo")
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--expose-stats", action="store_true")
    args = parser.parse_args(argv)
    info = seed(args.data_dir, date.today())  # a no-op on an already seeded directory
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server = DemoServer(
        args.data_dir,
        port=args.port,
        seed_info=info,
        latency=args.latency_ms / 1000,
        expose_stats=args.expose_stats,
    )
    with server:
        print(f"READY {server.url}", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
