"""Typed schema of the knowledge base: one `ServiceItem` per YAML file under knowledge/data/.

Every model forbids unknown keys so a typo in a YAML file is an error, not silently lost data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

SCHEMA_VERSION = 1

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Strict(BaseModel):
    """Base for every knowledge model: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceKind(StrEnum):
    """Where a fact comes from."""

    SEED = "seed"  # stated by the service catalog's `facts` (the source reports)
    STATUTE = "statute"  # stated by a law in shared/reference/laws; `ref` names statute + article
    EXAMPLE = "example"  # invented to make the demo complete; must be replaced by real content


class Source(Strict):
    """Provenance of one fact group."""

    kind: SourceKind
    ref: str | None = Field(default=None, description="statute and article for kind=statute")

    @model_validator(mode="after")
    def _statute_needs_ref(self) -> Source:
        if self.kind is SourceKind.STATUTE and not self.ref:
            raise ValueError("source kind 'statute' needs `ref`, e.g. '医疗机构管理条例 第二十二条'")
        return self


class MaterialForm(StrEnum):
    """Which form of a document must be handed in."""

    ORIGINAL = "original"
    COPY = "copy"
    ORIGINAL_AND_COPY = "original_and_copy"
    ELECTRONIC = "electronic"


class Material(Strict):
    """One document an applicant brings or uploads."""

    name: NonEmpty
    form: MaterialForm = MaterialForm.ORIGINAL
    copies: int = Field(default=1, ge=0, le=20)
    notes: str = ""
    required_when: str | None = Field(default=None, description="condition; None = always required")


class Step(Strict):
    """One step of the procedure, in order."""

    title: NonEmpty
    detail: str = ""


class TimeLimit(Strict):
    """Statutory and promised time limits, in working days."""

    statutory_days: int | None = Field(default=None, ge=0)
    promised_days: int | None = Field(default=None, ge=0)
    notes: str = ""


class Where(Strict):
    """Where in the hall the item is handled."""

    zone: NonEmpty
    window: str = ""
    address: str = ""


_WEB_URL = re.compile(r"^https?://[^\s/?#\\]+[^\s\\]*$", re.IGNORECASE)


class OnlineEntry(Strict):
    """Where the item can be applied for online."""

    name: NonEmpty
    url: str = ""

    @field_validator("url")
    @classmethod
    def _web_address(cls, v: str) -> str:
        """Only http(s) addresses: the chat card and the printed list turn it into a link (no javascript:, data:)."""
        v = v.strip()
        if v and not _WEB_URL.match(v):
            raise ValueError(f"online_entry.url {v[:80]!r} must be a web address starting with https:// (or http://)")
        return v


class LegalBasis(Strict):
    """A statute article the item rests on."""

    statute: NonEmpty
    article: NonEmpty
    summary: str = ""


class FaqTopic(StrEnum):
    """What a FAQ is about; `overview` answers about the service as a whole (gets a full card)."""

    OVERVIEW = "overview"
    CONDITIONS = "conditions"
    MATERIALS = "materials"
    STEPS = "steps"
    TIME_LIMIT = "time_limit"
    FEES = "fees"
    WHERE = "where"
    ONLINE = "online"
    POLICY = "policy"
    RESULT = "result"
    OTHER = "other"


class Faq(Strict):
    """One question-and-answer pair with the ways people actually ask it."""

    id: NonEmpty = Field(description="stable id '<service-id>/<slug>'")
    question: NonEmpty
    variants: list[NonEmpty] = Field(min_length=5)
    answer: NonEmpty
    topic: FaqTopic = FaqTopic.OTHER
    source: Source

    @field_validator("variants")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            dup = sorted(x for x, n in Counter(v).items() if n > 1)  # linear, not v.count per variant
            raise ValueError(f"variants repeat {dup}; every variant must be different")
        return v


class NamedKind(Strict):
    """An entry of a vocabulary the rest of the system reads (license types, validation items)."""

    name: NonEmpty
    aliases: list[NonEmpty] = Field(default_factory=list)
    number_pattern: str | None = Field(default=None, description="regex of this license's numbers")


class SeedFact(Strict):
    """One `facts` line of the service catalog, and where the knowledge base says it in Chinese."""

    catalog: NonEmpty = Field(description="the catalog's line, verbatim")
    text: NonEmpty = Field(description="the same fact in Chinese, as applicants read it")


FACT_GROUPS = (
    "summary",
    "conditions",
    "materials",
    "steps",
    "time_limit",
    "fees",
    "where",
    "online_entry",
    "hours",
    "phone",
)


class ServiceItem(Strict):
    """One service item of the catalog, as staff maintain it."""

    id: NonEmpty
    name: NonEmpty
    aliases: list[NonEmpty] = Field(default_factory=list)
    department: NonEmpty
    summary: NonEmpty
    applicable_to: NonEmpty
    conditions: list[NonEmpty] = Field(default_factory=list)
    materials: list[Material] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    time_limit: TimeLimit
    fees: NonEmpty
    where: Where
    online_entry: OnlineEntry | None = None
    hours: NonEmpty
    phone: NonEmpty
    legal_basis: list[LegalBasis] = Field(default_factory=list)
    seed_facts: list[SeedFact] = Field(default_factory=list)
    license_types: list[NamedKind] = Field(default_factory=list)
    validation_items: list[NamedKind] = Field(default_factory=list)
    filing: str | None = Field(default=None, description="intent that starts a filing for this item")
    cues: list[NonEmpty] = Field(
        default_factory=list,
        description="words that, in a question, point to this item rather than to a similar one "
        "(e.g. 丢/遗失/补办 send a question about a food license to the lost-license notice)",
    )
    faqs: list[Faq] = Field(min_length=1)
    sources: dict[str, Source] = Field(description=f"provenance per fact group: {', '.join(FACT_GROUPS)}")
    updated_at: dt.date
    effective_from: dt.date
    effective_until: dt.date | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not _SLUG.match(v):
            raise ValueError(f"id {v!r} must be a lowercase slug like 'license-loss-notice'")
        return v

    @field_validator("sources")
    @classmethod
    def _known_groups(cls, v: dict[str, Source]) -> dict[str, Source]:
        unknown = sorted(set(v) - set(FACT_GROUPS))
        if unknown:
            raise ValueError(f"unknown fact groups {unknown}; use only {list(FACT_GROUPS)}")
        missing = [g for g in ("summary", "materials", "steps", "time_limit", "where") if g not in v]
        if missing:
            raise ValueError(f"sources lacks {missing}; mark each as seed, statute or example")
        return v

    @field_validator("faqs")
    @classmethod
    def _faq_ids(cls, faqs: list[Faq], info: ValidationInfo) -> list[Faq]:
        item_id = info.data.get("id")
        if item_id:  # a bad item id is reported on its own field
            for faq in faqs:
                if not faq.id.startswith(item_id + "/") or not _SLUG.match(faq.id.split("/", 1)[1]):
                    raise ValueError(f"faq id {faq.id!r} must look like '{item_id}/<slug>'")
        dups = sorted(i for i, n in Counter(f.id for f in faqs).items() if n > 1)
        if dups:
            raise ValueError(f"duplicate faq ids {dups}; give each FAQ its own id")
        return faqs

    @model_validator(mode="after")
    def _dates(self) -> ServiceItem:
        if self.effective_until and self.effective_until < self.effective_from:
            raise ValueError("effective_until is before effective_from")
        return self

    def is_effective(self, on: dt.date) -> bool:
        """True when the item is in force on the given day."""
        return self.effective_from <= on and (self.effective_until is None or on <= self.effective_until)


# ---- the referral directory (knowledge/data/directory/referrals.yml) -----------------------------------------
class LocalDetails(Strict):
    """Where and how a department is reached here: local facts, `example` until staff confirm them."""

    where: str = ""
    phone: str = ""
    hours: str = ""
    source: Source = Field(description="example until staff replace the details with confirmed ones")


class Department(Strict):
    """A department that handles matters the base does not cover; `name` and `handles` are true everywhere."""

    id: NonEmpty
    name: NonEmpty = Field(description="the kind of department, as it is called in every Chinese city")
    handles: NonEmpty = Field(description="what it handles, in general terms")
    local: LocalDetails | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not _SLUG.match(v):
            raise ValueError(f"id {v!r} must be a lowercase slug like 'public-security'")
        return v

    def confirmed_local(self) -> LocalDetails | None:
        """The local details when staff have confirmed them (never example content)."""
        if self.local is None or self.local.source.kind is SourceKind.EXAMPLE:
            return None
        return self.local


class Matter(Strict):
    """A common matter the base lacks, the words people name it with, and who handles it."""

    id: NonEmpty
    name: NonEmpty
    terms: list[NonEmpty] = Field(min_length=1, description="words that name the matter in a question")
    department: NonEmpty = Field(description="id of a department of this directory")
    document: bool = Field(default=False, description="a personal document or certificate, not a license the "
                                                      "loss-notice service accepts (its loss gets a referral)")
    tip: str = Field(default="", description="general advice true everywhere (no local facts)")

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not _SLUG.match(v):
            raise ValueError(f"id {v!r} must be a lowercase slug like 'id-card'")
        return v


class LastResort(Strict):
    """Where anyone can turn when no department fits."""

    hotline: NonEmpty = Field(description="the government service hotline (12345 is national)")
    guide_desk: NonEmpty = Field(description="the hall's guide desk (导服台)")


class ReferralDirectory(Strict):
    """Matters outside the knowledge base → the department that handles them; the last resort."""

    departments: list[Department] = Field(min_length=1)
    matters: list[Matter] = Field(min_length=1)
    last_resort: LastResort

    @model_validator(mode="after")
    def _references(self) -> ReferralDirectory:
        ids = [d.id for d in self.departments]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate department ids {dup}; give each department its own id")
        mids = [m.id for m in self.matters]
        dup = sorted({i for i in mids if mids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate matter ids {dup}; give each matter its own id")
        unknown = sorted({m.department for m in self.matters} - set(ids))
        if unknown:
            raise ValueError(f"matters name unknown departments {unknown}; add them under `departments`")
        return self

    def department(self, dep_id: str) -> Department | None:
        """A department by id."""
        return next((d for d in self.departments if d.id == dep_id), None)

    def matter(self, matter_id: str) -> Matter | None:
        """A matter by id."""
        return next((m for m in self.matters if m.id == matter_id), None)
