"""Errors of the filing records; each carries an HTTP status, a code and a Chinese message for users."""

from __future__ import annotations


class FilingError(Exception):
    """Base of every filing error; `message` is for applicants (Chinese), `detail` for staff (English)."""

    status = 400
    code = "filing_error"
    default_message = "办件处理出错，请联系工作人员。"

    def __init__(self, detail: str, message: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.message = message or self.default_message


class FilingNotFound(FilingError):
    """No filing has this id."""

    status = 404
    code = "filing_not_found"
    default_message = "没有找到该办件，请核对办件编号。"

    def __init__(self, filing_id: str):
        super().__init__(f"no filing {filing_id!r}")
        self.filing_id = filing_id


class NoticeNotFound(FilingError):
    """No published notice has this number."""

    status = 404
    code = "notice_not_found"
    default_message = "没有找到该遗失公告，请核对公告编号。"

    def __init__(self, number: str):
        super().__init__(f"no notice {number!r}")
        self.number = number


class InvalidTransition(FilingError):
    """The filing (or one of its items) cannot move from `from_status` to `to_status`."""

    status = 409
    code = "invalid_transition"
    default_message = "该办件当前状态下不能办理此操作。"

    def __init__(self, from_status: str, to_status: str, detail: str = "", message: str | None = None):
        super().__init__(detail or f"illegal transition {from_status!r} -> {to_status!r}", message)
        self.from_status = from_status
        self.to_status = to_status


class WrongKind(InvalidTransition):
    """The operation belongs to the other kind of filing (e.g. publishing a validation)."""

    code = "wrong_kind"
    default_message = "该类办件不能办理此操作。"


class ItemsUndecided(InvalidTransition):
    """A validation cannot be finished while some items have no final decision."""

    code = "items_undecided"
    default_message = "还有校验事项未作出结论，暂不能办结。"


class UnknownItem(FilingError):
    """The validation has no item of that name."""

    status = 422
    code = "unknown_item"
    default_message = "该办件没有这一校验事项。"


class InvalidData(FilingError):
    """An argument is unusable (empty actor, unknown decision, missing reason, empty items ...)."""

    status = 422
    code = "invalid_data"
    default_message = "提交的信息不完整或格式不正确。"


class IdempotencyConflict(FilingError):
    """The idempotency key was already used for a different submission."""

    status = 409
    code = "idempotency_conflict"
    default_message = "该申请已提交过，内容不一致，请重新发起申请。"


class NotResubmittable(FilingError):
    """A resubmission names a filing that cannot be resubmitted (not rejected, another kind, done already)."""

    status = 409
    code = "not_resubmittable"
    default_message = "原办件当前不能重新提交，请查询办件进度或咨询窗口工作人员。"


class SequenceExhausted(FilingError):
    """The daily (or yearly) number range is used up."""

    status = 503
    code = "sequence_exhausted"
    default_message = "今日受理量已满，请明天再试或联系工作人员。"


class LookupLimited(FilingError):
    """Too many wrong status look-ups of this filing, or from this client (actions/filings/lookups.py)."""

    status = 429
    code = "lookup_limited"
    default_message = "查询失败次数过多，请稍后再试；如需帮助请联系工作人员。"

    def __init__(self, which: str):
        super().__init__(f"status look-ups limited ({which})")
        self.which = which  # "filing" or "client"


class FontMissing(FilingError):
    """No CJK font is available to render notice PDFs."""

    status = 503
    code = "font_missing"
    default_message = "公告PDF暂时无法生成，请稍后再试或联系工作人员。"


class ResultNotFound(FilingError):
    """No published validation result has this number."""

    status = 404
    code = "result_not_found"
    default_message = "没有找到该校验结果，请核对公示编号。"

    def __init__(self, number: str):
        super().__init__(f"no validation result {number!r}")
        self.number = number


class RegistryError(FilingError):
    """An institution-list import cannot be read or committed (the message says why, in Chinese)."""

    status = 422
    code = "registry_error"
    default_message = "机构名单无法导入，请检查文件。"
