"""The catalog store: SQLite with named migrations, FTS5 and embeddings.

Every write goes through ``transaction()``, so an ingest either lands whole
or not at all.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from muselab.catalog.migrations import MIGRATIONS
from muselab.catalog.records import Model, NodePack, Paper, Task, Template, dumps
from muselab.errors import StoreError

MODEL_COLUMNS = [
    "name", "display_name", "task", "category", "input_modalities", "output_modalities", "summary",
    "paper_url", "github_url", "hf_url", "license", "weights_source", "weights_url", "sha256",
    "runnable", "runner", "workflow", "tags", "links", "family", "aliases", "role", "capabilities", "files",
    "templates", "popularity", "architecture", "source",
]
PAPER_COLUMNS = [
    "id", "title", "summary", "url", "pdf_url", "github_url", "categories", "published", "authors", "tasks", "source",
]
TEMPLATE_COLUMNS = [
    "id", "title", "description", "tasks", "input_modalities", "output_modalities", "families", "models", "files",
    "node_types", "api", "tags", "tutorial_url", "usage", "graph", "source",
]
PACK_COLUMNS = ["id", "title", "author", "description", "url", "stars", "node_types", "source"]
JSON_COLUMNS = {"input_modalities", "output_modalities", "runner", "workflow", "tags", "links", "categories", "authors",
                "aliases", "capabilities", "files", "templates", "tasks", "families", "models", "node_types", "graph"}


def damaged(path: Path, exc: Exception) -> StoreError:
    return StoreError(
        f"catalog store {path} is damaged ({exc}); move it away and run muselab again "
        "to rebuild the built-in catalog, then repeat your `muselab ingest` commands"
    )


def _upsert_sql(table: str, columns: list[str], key: str) -> str:
    """Upsert by key. A source may update its own records; over another source's
    record it only fills empty fields, so curated knowledge is never overwritten."""
    placeholders = ", ".join("?" for _ in columns)
    others = [c for c in columns if c not in (key, "source")]
    merged = {
        c: f"CASE WHEN {table}.source IS excluded.source THEN COALESCE(excluded.{c}, {table}.{c}) "
           f"ELSE COALESCE({table}.{c}, excluded.{c}) END"
        for c in others
    }
    sets = [f"{c} = {expr}" for c, expr in merged.items()]
    # touch the row only when the merge changes something, so re-ingesting counts (and costs) nothing
    changed = " OR ".join(f"({expr}) IS NOT {table}.{c}" for c, expr in merged.items())
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) "
        f"ON CONFLICT({key}) DO UPDATE SET {', '.join(sets)} WHERE {changed}"
    )


def _row_values(record, columns: list[str]) -> tuple:
    out = []
    for c in columns:
        v = getattr(record, c)
        if v in ("", [], {}, None):
            out.append(None)  # empty = unknown, so an upsert never erases a known value
        elif c in JSON_COLUMNS:
            out.append(dumps(v.model_dump() if hasattr(v, "model_dump") else v))
        elif isinstance(v, bool):
            out.append(int(v))
        else:
            out.append(v)
    return tuple(out)


def _from_row(cls, row: sqlite3.Row):
    data = {}
    for k in row.keys():
        v = row[k]
        if v is None:
            continue
        data[k] = json.loads(v) if k in JSON_COLUMNS else v
    for flag in ("runnable", "api"):
        if flag in data:
            data[flag] = bool(data[flag])
    return cls(**data)


class Store:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._derived: dict = {}
        self._steady: dict | None = None  # versions read once, inside steady()
        if self.path.exists() and self.path.is_dir():
            raise StoreError(f"catalog store {self.path} is a directory; give a file path with --db")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # one connection; a multi-threaded caller (the HTTP server) serialises its use with a lock
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.migrate()
        except sqlite3.DatabaseError as exc:
            raise damaged(self.path, exc) from None
        except OSError as exc:
            raise StoreError(f"cannot open catalog store {self.path}: {exc.strerror or exc}") from None

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # -- schema ------------------------------------------------------------

    def migrate(self) -> list[str]:
        self.conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
        done = self.applied_migrations()
        applied = []
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction() as conn:
                for statement in _split_sql(sql):
                    conn.execute(statement)
                conn.execute("INSERT INTO migrations VALUES (?, datetime('now'))", (name,))
            applied.append(name)
        return applied

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM migrations ORDER BY name")]

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        if self._steady is not None:
            self._steady.clear()  # a write inside steady(): versions are read again
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def changed(self, part: str) -> None:
        """Record that a part of the catalog changed: what was derived from it is rebuilt."""
        self.set_meta(f"{part}_version", secrets.token_hex(6))

    # -- derived structures (indexes, tables), rebuilt when their parts change ----

    PARTS = ("tasks", "models", "papers", "vectors", "builtin", "templates")

    def version(self, *parts: str) -> tuple:
        """The versions of parts of the catalog; anything derived from them is valid while they hold."""
        assert set(parts) <= set(self.PARTS), parts
        keys = [f"{p}_version" for p in parts]
        if self._steady is not None:
            if "" not in self._steady:  # not read yet in this block ("" marks it read: a part may have no version)
                self._steady[""] = ""
                self._steady.update(self.conn.execute("SELECT key, value FROM meta WHERE key LIKE '%\\_version' "
                                                      "ESCAPE '\\'").fetchall())
            return tuple(self._steady.get(k) for k in keys)
        rows = dict(self.conn.execute(f"SELECT key, value FROM meta WHERE key IN ({', '.join('?' * len(keys))})",
                                      keys).fetchall())
        return tuple(rows.get(k) for k in keys)

    @contextmanager
    def steady(self) -> Iterator[None]:
        """Within the block the catalog's versions are read once: one question looks up a dozen derived
        structures, and each look-up would otherwise cost a query. Writes inside the block still count;
        another process's write counts from the next block (a question is answered from one state)."""
        if self._steady is not None:  # nested: the outer block holds
            yield
            return
        self._steady = {}
        try:
            yield
        finally:
            self._steady = None

    def derived(self, key, parts: tuple[str, ...], build):
        """`build()`, kept with this store until one of `parts` changes (any process's write counts)."""
        version = self.version(*parts)
        hit = self._derived.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = build()
        self._derived[key] = (version, value)
        return value

    # -- writes (call inside transaction()) ----------------------------------

    def upsert_tasks(self, tasks: Iterable[Task]) -> int:
        rows = [
            (t.id, t.name, t.parent, t.definition, dumps(t.input_modalities), dumps(t.output_modalities),
             t.how_it_works, t.model_dump_json(), t.source)
            for t in tasks
        ]
        sql = ("INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
               "name = excluded.name, parent = excluded.parent, definition = excluded.definition, "
               "input_modalities = excluded.input_modalities, output_modalities = excluded.output_modalities, "
               "how_it_works = excluded.how_it_works, data = excluded.data, source = excluded.source "
               "WHERE tasks.data IS NOT excluded.data")
        changed = self.conn.executemany(sql, rows).rowcount
        if changed:
            self.changed("tasks")
        return changed

    # each upsert returns the rows it changed (an unchanged record counts 0)

    def upsert_models(self, models: Iterable[Model]) -> int:
        sql = _upsert_sql("models", MODEL_COLUMNS, "name")
        changed = self.conn.executemany(sql, [_row_values(m, MODEL_COLUMNS) for m in models]).rowcount
        if changed:
            self.changed("models")
        return changed

    def upsert_papers(self, papers: Iterable[Paper]) -> int:
        sql = _upsert_sql("papers", PAPER_COLUMNS, "id")
        changed = self.conn.executemany(sql, (_row_values(p, PAPER_COLUMNS) for p in papers)).rowcount
        if changed:
            self.changed("papers")
        return changed

    def upsert_templates(self, templates: Iterable[Template]) -> int:
        changed = self.conn.executemany(_upsert_sql("templates", TEMPLATE_COLUMNS, "id"),
                                        [_row_values(t, TEMPLATE_COLUMNS) for t in templates]).rowcount
        if changed:
            self.changed("templates")
        return changed

    def upsert_node_packs(self, packs: Iterable[NodePack]) -> int:
        packs = list(packs)
        changed = self.conn.executemany(_upsert_sql("node_packs", PACK_COLUMNS, "id"),
                                        [_row_values(p, PACK_COLUMNS) for p in packs]).rowcount
        self.conn.executemany("INSERT OR IGNORE INTO node_types VALUES (?, ?)",
                              [(c, p.id) for p in packs for c in p.node_types])
        return changed

    # -- reads -------------------------------------------------------------

    def tasks(self) -> dict[str, Task]:
        """The taxonomy (kept in memory until a write changes the tasks table)."""
        def load():
            rows = self.conn.execute("SELECT data FROM tasks ORDER BY id")
            return {t.id: t for t in (Task.model_validate_json(r[0]) for r in rows)}

        return self.derived("tasks", ("tasks",), load)

    def model(self, name: str) -> Model | None:
        row = self.conn.execute("SELECT * FROM models WHERE name = ? COLLATE NOCASE", (name,)).fetchone()
        return _from_row(Model, row) if row else None

    def models(self, names: Iterable[str] | None = None, task: str | None = None) -> list[Model]:
        if names is not None:
            return [m for m in (self.model(n) for n in names) if m]
        if task is not None:
            rows = self.conn.execute("SELECT * FROM models WHERE task = ? ORDER BY name", (task,))
        else:
            rows = self.conn.execute("SELECT * FROM models ORDER BY name")
        return [_from_row(Model, r) for r in rows]

    def families_of(self, names: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
        """Model name -> (family, role), in one query."""
        rows = self.conn.execute("SELECT name, family, role FROM models WHERE name IN (SELECT value FROM "
                                 "json_each(?))", (json.dumps(sorted(set(names))),))
        return {r[0]: (r[1], r[2]) for r in rows}

    def model_names(self) -> frozenset[str]:
        """Every model name, lower-cased (kept in memory until the models change)."""
        return self.derived("model_names", ("models",),
                            lambda: frozenset(r[0].lower() for r in self.conn.execute("SELECT name FROM models")))

    def paper(self, paper_id: str) -> Paper | None:
        row = self.conn.execute("SELECT * FROM papers WHERE id = ?", (paper_id,)).fetchone()
        return _from_row(Paper, row) if row else None

    def papers(self, ids: Iterable[str]) -> list[Paper]:
        return [p for p in (self.paper(i) for i in ids) if p]

    # -- embeddings (vectors stored as float16) ------------------------------

    def put_vectors(self, kind: str, space: str, rows) -> int:
        """rows: (id, content hash, vector as floats or as float16 bytes). Call inside transaction()."""
        data = [(kind, i, space, h, v if isinstance(v, bytes) else _f16_bytes(v)) for i, h, v in rows]
        self.conn.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?, ?)", data)
        self.changed("vectors")
        return len(data)

    def vector_hashes(self, kind: str, space: str) -> dict[str, str]:
        rows = self.conn.execute("SELECT id, hash FROM embeddings WHERE kind = ? AND model = ?", (kind, space))
        return dict(rows.fetchall())

    def load_vectors(self, kind: str, space: str, dim: int):
        """(ids, float32 matrix) of every stored vector of a kind."""
        import numpy as np

        rows = self.conn.execute("SELECT id, vector FROM embeddings WHERE kind = ? AND model = ? ORDER BY id",
                                 (kind, space)).fetchall()
        ids = [r[0] for r in rows]
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float16).reshape(len(ids), dim)
        return ids, matrix.astype(np.float32)

    def template(self, template_id: str) -> Template | None:
        row = self.conn.execute("SELECT * FROM templates WHERE id = ?", (template_id,)).fetchone()
        return _from_row(Template, row) if row else None

    def templates(self, model: str | None = None, with_graph: bool = False) -> list[Template]:
        """Every template (without its graph unless asked), or those that use a model."""
        cols = "*" if with_graph else ", ".join(c for c in TEMPLATE_COLUMNS if c != "graph")
        if model is None:
            rows = self.conn.execute(f"SELECT {cols} FROM templates ORDER BY id")
        else:
            rows = self.conn.execute(f"SELECT {cols} FROM templates WHERE EXISTS (SELECT 1 FROM json_each("
                                     "templates.models) WHERE value = ? COLLATE NOCASE) ORDER BY id", (model,))
        return [_from_row(Template, r) for r in rows]

    def node_pack(self, pack_id: str) -> NodePack | None:
        row = self.conn.execute("SELECT * FROM node_packs WHERE id = ?", (pack_id,)).fetchone()
        return _from_row(NodePack, row) if row else None

    def packs_for(self, class_type: str) -> list[NodePack]:
        """The node packs that provide a node class, most starred first."""
        rows = self.conn.execute("SELECT p.* FROM node_types t JOIN node_packs p ON p.id = t.pack WHERE "
                                 "t.class_type = ? ORDER BY coalesce(p.stars, 0) DESC, p.id", (class_type,))
        return [_from_row(NodePack, r) for r in rows]

    def packs_matching(self, term: str, limit: int = 3) -> list[NodePack]:
        """Node packs whose id, title or description mention `term`, most starred first."""
        rows = self.conn.execute("SELECT * FROM node_packs WHERE instr(lower(id || ' ' || title || ' ' || "
                                 "coalesce(description, '')), ?) > 0 ORDER BY coalesce(stars, 0) DESC, id LIMIT ?",
                                 (term.lower(), limit))
        return [_from_row(NodePack, r) for r in rows]

    def count(self, table: str) -> int:
        assert table in {"tasks", "models", "papers", "embeddings", "templates", "node_packs"}
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _f16_bytes(vector) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype="<f2").tobytes()


def _split_sql(sql: str) -> list[str]:
    """Split a migration into statements; trigger bodies keep their inner semicolons."""
    statements, current = [], []
    for line in sql.strip().splitlines():
        current.append(line)
        text = "\n".join(current).strip()
        if text.endswith(";") and sqlite3.complete_statement(text):
            statements.append(text)
            current = []
    if "\n".join(current).strip():
        statements.append("\n".join(current))
    return statements
