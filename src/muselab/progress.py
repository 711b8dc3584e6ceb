"""Progress bars that can be switched off (settings.progress / --no-progress)."""

from __future__ import annotations

import sys


def bar(total=None, desc: str = "", unit: str = "it", enabled: bool = True, **kw):
    """A tqdm bar on stderr; a silent stand-in when disabled or not installed."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr,
                dynamic_ncols=True, leave=False, **kw)
