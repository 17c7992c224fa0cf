"""`python -m assistant.ops.warm`: load (or build) the live knowledge base's index and intent model once.

`lingling serve --workers N` runs this in a child process before starting the workers, so that N workers
do not each rebuild a missing or stale index at the same moment (and write the same files)."""

from __future__ import annotations

import sys


def main() -> int:
    from assistant.loading import load_snapshot
    from assistant.settings import Settings

    snapshot = load_snapshot(Settings())
    print(f"index ready: {len(snapshot.nlu.retriever.index)} vectors", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
