"""sqlite-utils without numpy: the idle bridge stays small.

sqlite-utils imports numpy and pandas when they are installed, only to map their types to
column types, which this store never uses. numpy is installed (matplotlib draws /stats
charts with it) and costs some 15 MB of memory once imported; an idle bridge must not
carry it. So sqlite-utils is first imported with both hidden; a chart imports numpy
later, when it needs it.
"""

from __future__ import annotations

import importlib
import sys

_UNUSED_BY_THE_STORE = ("numpy", "pandas")


def import_sqlite_utils() -> None:
    """Import sqlite-utils as if numpy and pandas were not installed (once per process)."""
    if "sqlite_utils" in sys.modules:
        return
    hidden = [name for name in _UNUSED_BY_THE_STORE if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # `import numpy` fails
    try:
        importlib.import_module("sqlite_utils")
    finally:
        for name in hidden:
            del sys.modules[name]
