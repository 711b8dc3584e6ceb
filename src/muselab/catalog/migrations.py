"""Named schema migrations, applied in order, each in its own transaction.

Never edit a migration that has shipped; add a new one.
"""

MIGRATIONS: list[tuple[str, str]] = [
    (
        "001_catalog",
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE tasks (
            id TEXT PRIMARY KEY, name TEXT NOT NULL, parent TEXT, definition TEXT,
            input_modalities TEXT, output_modalities TEXT, how_it_works TEXT,
            data TEXT NOT NULL, source TEXT
        );
        CREATE TABLE models (
            name TEXT PRIMARY KEY COLLATE NOCASE, display_name TEXT, task TEXT NOT NULL, category TEXT,
            input_modalities TEXT, output_modalities TEXT, summary TEXT,
            paper_url TEXT, github_url TEXT, hf_url TEXT, license TEXT,
            weights_source TEXT, weights_url TEXT, sha256 TEXT,
            runnable INTEGER NOT NULL DEFAULT 0, runner TEXT, workflow TEXT, tags TEXT, links TEXT, source TEXT
        );
        CREATE INDEX models_task ON models(task);
        CREATE TABLE papers (
            id TEXT PRIMARY KEY, title TEXT NOT NULL, summary TEXT, url TEXT, pdf_url TEXT,
            github_url TEXT, categories TEXT, published TEXT, authors TEXT, source TEXT
        );
        """,
    ),
    (
        "002_fulltext",
        """
        CREATE VIRTUAL TABLE papers_fts USING fts5(
            title, summary, content='papers', content_rowid='rowid', tokenize='porter unicode61'
        );
        CREATE TRIGGER papers_ai AFTER INSERT ON papers BEGIN
            INSERT INTO papers_fts(rowid, title, summary) VALUES (new.rowid, new.title, new.summary);
        END;
        CREATE TRIGGER papers_ad AFTER DELETE ON papers BEGIN
            INSERT INTO papers_fts(papers_fts, rowid, title, summary)
            VALUES ('delete', old.rowid, old.title, old.summary);
        END;
        CREATE TRIGGER papers_au AFTER UPDATE ON papers BEGIN
            INSERT INTO papers_fts(papers_fts, rowid, title, summary)
            VALUES ('delete', old.rowid, old.title, old.summary);
            INSERT INTO papers_fts(rowid, title, summary) VALUES (new.rowid, new.title, new.summary);
        END;
        CREATE VIRTUAL TABLE models_fts USING fts5(
            name, display_name, category, summary, tags,
            content='models', content_rowid='rowid', tokenize='porter unicode61'
        );
        CREATE TRIGGER models_ai AFTER INSERT ON models BEGIN
            INSERT INTO models_fts(rowid, name, display_name, category, summary, tags)
            VALUES (new.rowid, new.name, new.display_name, new.category, new.summary, new.tags);
        END;
        CREATE TRIGGER models_ad AFTER DELETE ON models BEGIN
            INSERT INTO models_fts(models_fts, rowid, name, display_name, category, summary, tags)
            VALUES ('delete', old.rowid, old.name, old.display_name, old.category, old.summary, old.tags);
        END;
        CREATE TRIGGER models_au AFTER UPDATE ON models BEGIN
            INSERT INTO models_fts(models_fts, rowid, name, display_name, category, summary, tags)
            VALUES ('delete', old.rowid, old.name, old.display_name, old.category, old.summary, old.tags);
            INSERT INTO models_fts(rowid, name, display_name, category, summary, tags)
            VALUES (new.rowid, new.name, new.display_name, new.category, new.summary, new.tags);
        END;
        INSERT INTO papers_fts(papers_fts) VALUES ('rebuild');
        INSERT INTO models_fts(models_fts) VALUES ('rebuild');
        """,
    ),
    (
        "003_embeddings",
        """
        CREATE TABLE embeddings (
            kind TEXT NOT NULL, id TEXT NOT NULL, model TEXT NOT NULL,
            hash TEXT NOT NULL, vector BLOB NOT NULL,
            PRIMARY KEY (kind, id, model)
        );
        """,
    ),
]

MIGRATIONS += [
    (
        "004_families_templates_nodes",
        """
        ALTER TABLE models ADD COLUMN family TEXT;
        ALTER TABLE models ADD COLUMN aliases TEXT;
        ALTER TABLE models ADD COLUMN role TEXT;
        ALTER TABLE models ADD COLUMN capabilities TEXT;
        ALTER TABLE models ADD COLUMN files TEXT;
        ALTER TABLE models ADD COLUMN templates TEXT;
        ALTER TABLE models ADD COLUMN popularity REAL;
        ALTER TABLE models ADD COLUMN architecture TEXT;
        ALTER TABLE papers ADD COLUMN tasks TEXT;
        CREATE INDEX models_family ON models(family);
        DROP TRIGGER models_ai;
        DROP TRIGGER models_ad;
        DROP TRIGGER models_au;
        DROP TABLE models_fts;
        CREATE VIRTUAL TABLE models_fts USING fts5(
            name, display_name, family, aliases, category, summary, tags,
            content='models', content_rowid='rowid', tokenize='porter unicode61'
        );
        CREATE TRIGGER models_ai AFTER INSERT ON models BEGIN
            INSERT INTO models_fts(rowid, name, display_name, family, aliases, category, summary, tags)
            VALUES (new.rowid, new.name, new.display_name, new.family, new.aliases, new.category, new.summary, new.tags);
        END;
        CREATE TRIGGER models_ad AFTER DELETE ON models BEGIN
            INSERT INTO models_fts(models_fts, rowid, name, display_name, family, aliases, category, summary, tags)
            VALUES ('delete', old.rowid, old.name, old.display_name, old.family, old.aliases, old.category, old.summary,
                    old.tags);
        END;
        CREATE TRIGGER models_au AFTER UPDATE ON models BEGIN
            INSERT INTO models_fts(models_fts, rowid, name, display_name, family, aliases, category, summary, tags)
            VALUES ('delete', old.rowid, old.name, old.display_name, old.family, old.aliases, old.category, old.summary,
                    old.tags);
            INSERT INTO models_fts(rowid, name, display_name, family, aliases, category, summary, tags)
            VALUES (new.rowid, new.name, new.display_name, new.family, new.aliases, new.category, new.summary, new.tags);
        END;
        INSERT INTO models_fts(models_fts) VALUES ('rebuild');
        CREATE TABLE templates (
            id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT, tasks TEXT, input_modalities TEXT,
            output_modalities TEXT, families TEXT, models TEXT, files TEXT, node_types TEXT, api INTEGER NOT NULL DEFAULT 0,
            tags TEXT, tutorial_url TEXT, usage INTEGER NOT NULL DEFAULT 0, graph TEXT, source TEXT
        );
        CREATE TABLE node_packs (
            id TEXT PRIMARY KEY, title TEXT NOT NULL, author TEXT, description TEXT, url TEXT, stars INTEGER,
            node_types TEXT, source TEXT
        );
        CREATE TABLE node_types (class_type TEXT NOT NULL, pack TEXT NOT NULL, PRIMARY KEY (class_type, pack));
        """,
    ),
]
