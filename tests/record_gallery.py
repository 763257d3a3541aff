"""Re-record the message gallery: tests/unit/golden/gallery/*.json and docs/concepts/messages.md.

    .venv/bin/python tests/record_gallery.py

Run it after a deliberate change to what the router draws, then review the diff (git diff) of the goldens and
of the page: tests/unit/test_message_gallery.py checks both against the current renderer."""

from __future__ import annotations

import sys

from support.gallery import record
from support.paths import ROOT

if __name__ == "__main__":
    if sys.argv[1:]:
        sys.exit(f"usage: {sys.argv[0]}   (writes tests/unit/golden/gallery/ and docs/concepts/messages.md)")
    for path in record():
        print(f"recorded {path.relative_to(ROOT)}")
