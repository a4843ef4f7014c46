"""The exceptions Kubesnap raises; the CLI turns each into a one-line message and an exit code."""

from __future__ import annotations


class AnalyzerError(Exception):
    """Base class: something the user should be told about in one line."""

    exit_code = 1


class UsageError(AnalyzerError):
    """The command line asks for something that cannot be done (bad option, missing --db)."""

    exit_code = 2


class NothingIngestible(AnalyzerError):
    """No input held anything Kubesnap could read."""

    exit_code = 3


class DatabaseError(AnalyzerError):
    """The DuckDB database could not be opened or queried."""

    exit_code = 2


class DatabaseInUse(DatabaseError):
    """Another process holds the database open for writing."""


class ParseError(Exception):
    """A source's content is broken: not JSON, a table without its header, cut short.

    Raised by parsers; the ingest records it as a problem of that member and goes on.
    """


class SkipSource(Exception):
    """A source is absent or empty (not broken): nothing to record, nothing to complain about."""


class NotFound(AnalyzerError):
    """The object asked for is not in the database (exit 1, as kubectl's NotFound)."""
