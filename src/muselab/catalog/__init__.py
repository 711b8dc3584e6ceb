"""The catalog: Task, Model and Paper records, the SQLite store, ingest adapters."""

from __future__ import annotations

from muselab.catalog.store import Store


def open_store(settings) -> Store:
    """Open the user's store, creating it or refreshing the built-in catalog as needed."""
    from muselab.catalog import builtin

    store = Store(settings.db)
    if store.get_meta("builtin_version") != builtin.version(settings.builtin_papers):
        builtin.load_into(store, with_papers=settings.builtin_papers)
    return store
