"""Errors that reach the user as one line and an exit code, never a traceback."""


class MuselabError(Exception):
    """A problem the user can fix. The message says what is wrong and, where
    possible, what to run next."""

    exit_code = 2
    details: list[str] = []  # one line per problem, for errors that gather several (shown before the message)

    def __init__(self, message: str, exit_code: int | None = None, details: list[str] | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
        if details is not None:
            self.details = details

    def to_dict(self) -> dict:
        """The error as the HTTP API and `--format json` give it."""
        return {"error": str(self), "detail": self.details}


class BadInput(MuselabError):
    """A file, question or option the command cannot use."""


class StoreError(MuselabError):
    """The catalog store is missing, empty or damaged."""


class IngestError(MuselabError):
    """A catalog file has a malformed record; nothing from the file was stored."""

    def __init__(self, path, line: int | None, message: str):
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")
        self.path, self.line = path, line
