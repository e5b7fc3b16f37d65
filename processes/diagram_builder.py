"""Write every catalogue diagram into ``bpmn/`` from its draft.

Run ``python -m processes.diagram_builder`` after changing a draft; ``--check``
only reports files that differ, for CI. The written files are what the
catalogue deploys, in folder order: shared call activities first, since the
patterns and flows call them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from processes import flows, patterns, shared
from processes.diagram_xml import render
from processes.drafting import ProcessDraft

logger = logging.getLogger(__name__)

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
FOLDERS: dict[str, Callable[[], list[ProcessDraft]]] = {
    "shared": shared.drafts,
    "patterns": patterns.drafts,
    "flows": flows.drafts,
}


def diagram_files() -> dict[Path, bytes]:
    """Return each diagram's path relative to ``bpmn/`` and its content."""
    files: dict[Path, bytes] = {}
    for folder, drafts in FOLDERS.items():
        for draft in drafts():
            files[Path(folder) / f"{draft.id}.bpmn"] = render(draft)

    return files


def stale_files(bpmn_dir: Path = BPMN_DIR) -> dict[Path, bytes]:
    """Return the diagrams under ``bpmn_dir`` that differ from their drafts."""
    return {
        path: content
        for path, content in diagram_files().items()
        if not (bpmn_dir / path).exists() or (bpmn_dir / path).read_bytes() != content
    }


def write_diagrams(bpmn_dir: Path = BPMN_DIR) -> list[Path]:
    """Write the diagrams that changed, returning their paths."""
    changed = stale_files(bpmn_dir)
    for path, content in changed.items():
        target = bpmn_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        logger.info("diagram written", extra={"file": str(path)})

    return list(changed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list stale files")
    arguments = parser.parse_args(argv)

    paths = stale_files() if arguments.check else write_diagrams()
    for path in paths:
        print(path)

    return 1 if arguments.check and paths else 0


if __name__ == "__main__":
    sys.exit(main())
