"""Where a run stages: a folder hidden beside the warehouse, named for it (staging.py makes and
removes it), and the folders of runs that were killed, which the next run removes. Apart from
staging.py, which needs pandas and pyarrow: a run opens with this, whatever it then does.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def prefix(db_path: Path) -> str:
    """How the name of a staging folder of the warehouse `db_path` starts."""
    return f".{Path(db_path).name}.staging-"


def remove_stale(db_path: Path) -> None:
    """Staging folders of runs that were killed; call only while holding the run lock."""
    db_path = Path(db_path)
    if db_path.parent.is_dir():
        # By name, not Path.glob: the warehouse's name may hold glob characters itself.
        with os.scandir(db_path.parent) as entries:
            stale = [e.path for e in entries if e.name.startswith(prefix(db_path)) and e.is_dir(follow_symlinks=False)]
        for folder in stale:
            shutil.rmtree(folder, ignore_errors=True)
