"""muselab: an offline AI scientist for generative imaging.

question -> task -> models + papers -> grounded answer -> runnable workflow.

The Python API is one object over one catalog store::

    import muselab

    lab = muselab.open()                       # the default store and settings
    r = lab.ask("How do AI upscalers sharpen anime art?", k_models=3, k_papers=5)
    print(r.task.id, [m.name for m in r.models], r.markdown)
    wf = lab.workflow_for(r)
    lab.run(wf, inputs={"image": "small.png"}, out_dir="out/")

`import muselab` loads nothing heavy; each method loads what it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from muselab.version import __version__

if TYPE_CHECKING:
    from muselab.lab import Lab

__all__ = ["__version__", "open", "Lab", "Settings", "MuselabError"]


def open(db=None, **settings) -> "Lab":
    """A Lab over the catalog store `db` (default: the user data dir, or $MUSELAB_DB).

    Keyword arguments are settings (see `muselab.settings.Settings`), e.g. `k_papers=8`,
    `llm="openai"`, `progress=False`; they override the settings file and the environment.
    """
    from muselab.lab import Lab
    from muselab.settings import Settings

    return Lab(Settings.load(db=db, **settings))


def __getattr__(name: str):
    # the public classes, imported when first named so `import muselab` stays instant
    if name == "Lab":
        from muselab.lab import Lab

        return Lab
    if name == "Settings":
        from muselab.settings import Settings

        return Settings
    if name == "MuselabError":
        from muselab.errors import MuselabError

        return MuselabError
    raise AttributeError(f"module 'muselab' has no attribute {name!r}")
