"""Errors of the knowledge package."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoadProblem:
    """One problem in one knowledge file."""

    file: str  # path of the YAML file
    field: str  # dotted location of the field, e.g. faqs[3].variants
    message: str  # what is wrong
    fix: str  # how to fix it

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message} — fix: {self.fix}"


class KnowledgeError(Exception):
    """Base of every knowledge error."""


class KnowledgeValidationError(KnowledgeError):
    """One or more knowledge files are invalid; `problems` lists all of them."""

    def __init__(self, problems: list[LoadProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class NotFound(KnowledgeError):
    """A requested item or FAQ does not exist."""
