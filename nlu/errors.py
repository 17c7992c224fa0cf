"""Errors of the NLU package."""


class NluError(Exception):
    """Base of every NLU error."""


class EncoderUnavailable(NluError):
    """The configured encoder backend cannot be loaded (missing package or model folder)."""


class IndexMismatch(NluError):
    """An index on disk was built for other knowledge, encoder or schema."""


class TrainingDataError(NluError):
    """The NLU training YAML is invalid."""


class ParseBusy(NluError):
    """Too many texts wait for the parser (nlu/gate.py): try again shortly (HTTP 503)."""
