"""The demo knowledge base meets the service catalog (services.yml of the contract, tests/contract)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from knowledge.loader import DEFAULT_DATA_DIR, load_knowledge
from knowledge.models import FaqTopic, SourceKind
from knowledge.stats import export_yaml, kb_stats
from nlu.entities import DictionaryExtractor
from nlu.normalize import fold, normalize
from nlu.pipeline import vocab

BIG_SERVICES = ("license-loss-notice", "medical-institution-validation")


def test_every_catalog_id_present(demo_kb, catalog_ids: set[str]) -> None:
    missing = catalog_ids - set(demo_kb.items)
    assert not missing, f"services.yml ids without a knowledge file: {sorted(missing)}"
    assert not demo_kb.skipped, "no demo item may be out of force today"


def test_one_file_per_item_named_after_its_id(demo_kb) -> None:
    stems = {p.stem for p in DEFAULT_DATA_DIR.glob("*.y*ml")}
    assert stems == set(demo_kb.items)


def test_faq_counts(demo_kb) -> None:
    assert len(demo_kb.faqs) >= 150
    per = {sid: len(item.faqs) for sid, item in demo_kb.items.items()}
    thin = {sid: n for sid, n in per.items() if n < 5}
    assert not thin, f"services with fewer than 5 FAQs: {thin}"
    for sid in BIG_SERVICES:
        assert per[sid] >= 15, f"{sid} has only {per[sid]} FAQs"


def test_every_faq_has_five_distinct_variants(demo_kb) -> None:
    bad = []
    for _, faq in demo_kb.faqs:
        distinct = {fold(v) for v in faq.variants}
        if len(distinct) < 5 or len(faq.variants) != len(set(faq.variants)):
            bad.append((faq.id, len(distinct)))
    assert not bad, bad


def test_faq_ids_unique_and_prefixed(demo_kb) -> None:
    ids = [faq.id for _, faq in demo_kb.faqs]
    assert len(ids) == len(set(ids))
    for item, faq in demo_kb.faqs:
        assert faq.id.startswith(item.id + "/")
        assert demo_kb.faq(faq.id) == (item, faq)


def test_every_service_has_an_overview_faq(demo_kb) -> None:
    no_overview = [sid for sid, item in demo_kb.items.items() if not any(f.topic is FaqTopic.OVERVIEW for f in item.faqs)]
    assert not no_overview


def test_catalog_facts_appear_verbatim_as_seed_facts(demo_kb, service_catalog: list[dict[str, Any]]) -> None:
    missing = []
    for entry in service_catalog:
        seeds = {f.catalog for f in demo_kb.items[entry["id"]].seed_facts}
        missing += [(entry["id"], fact) for fact in entry.get("facts") or [] if fact not in seeds]
    assert not missing, missing


def test_seed_facts_have_chinese_text(demo_kb) -> None:
    for item in demo_kb.items.values():
        for fact in item.seed_facts:
            assert any("\u4e00" <= c <= "\u9fff" for c in fact.text), (item.id, fact.catalog)


def test_license_types(demo_kb) -> None:
    kinds = demo_kb.license_types()
    assert len(kinds) >= 20
    assert len({k.name for k in kinds}) == len(kinds), "license type names repeat"
    with_aliases = [k for k in kinds if k.aliases]
    assert len(with_aliases) >= 20
    names = {k.name for k in kinds}
    for required in ("食品经营许可证", "出版物经营许可证", "劳务派遣经营许可证", "高危险性体育项目经营许可证"):
        assert required in names


@pytest.mark.parametrize(
    "surface,canonical",
    [("食经证", "食品经营许可证"), ("劳务派遣证", "劳务派遣经营许可证"), ("出版物许可证", "出版物经营许可证")],
)
def test_license_alias_resolves(demo_kb, surface: str, canonical: str) -> None:
    ex = DictionaryExtractor("license_type", vocab(demo_kb.license_types()))
    (ent,) = ex.extract(normalize(f"我的{surface}丢了"))
    assert ent.value == canonical
    assert ent.start == 2 and ent.end == 2 + len(surface)


def test_license_aliases_are_not_ambiguous(demo_kb) -> None:
    """An alias must not name two license types (the extractor would silently pick one)."""
    owner: dict[str, str] = {}
    clashes = []
    for k in demo_kb.license_types():
        for form in (k.name, *k.aliases):
            key = fold(form)
            if owner.setdefault(key, k.name) != k.name:
                clashes.append((form, owner[key], k.name))
    assert not clashes, clashes


def test_validation_items(demo_kb) -> None:
    items = demo_kb.validation_items()
    assert len(items) == 6
    names = {k.name for k in items}
    assert {"医疗机构执业许可证", "放射诊疗许可证", "母婴保健技术服务执业许可证"} <= names
    assert all(k.aliases for k in items)
    assert all(k.validation_items == [] for k in demo_kb.items.values() if k.id != "medical-institution-validation")


def test_filing_intents(demo_kb) -> None:
    assert demo_kb.items["license-loss-notice"].filing == "start_lost_notice"
    assert demo_kb.items["medical-institution-validation"].filing == "start_medical_validation"


def test_sources_statute_refs(demo_kb) -> None:
    for item in demo_kb.items.values():
        for group, src in item.sources.items():
            if src.kind is SourceKind.STATUTE:
                assert src.ref, (item.id, group)


def test_demo_base_skips_items_before_they_start() -> None:
    """Loading 'in the past', before every item's effective_from, keeps nothing and skips everything."""
    kb = load_knowledge(today=dt.date(2000, 1, 1))
    assert kb.items == {} and len(kb.skipped) == len(list(DEFAULT_DATA_DIR.glob("*.y*ml")))


def test_stats_match_the_base(demo_kb) -> None:
    st = kb_stats(demo_kb)
    assert st.services == len(demo_kb.items)
    assert st.faqs == len(demo_kb.faqs)
    assert st.variants == sum(len(f.variants) for _, f in demo_kb.faqs)
    assert st.per_service["license-loss-notice"][0] == len(demo_kb.items["license-loss-notice"].faqs)
    assert sum(f for f, _ in st.per_service.values()) == st.faqs
    assert 0 < st.example_faqs < st.faqs
    lines = st.lines()
    assert lines[0] == f"services: {st.services}" and lines[1] == f"faqs: {st.faqs}" and lines[2] == f"variants: {st.variants}"
    assert any(line.startswith("marked example:") for line in lines)


def test_export_round_trips(demo_kb) -> None:
    docs = list(yaml.safe_load_all(export_yaml(demo_kb)))
    assert [d["id"] for d in docs] == list(demo_kb.items)
    from knowledge.models import ServiceItem

    again = {d["id"]: ServiceItem.model_validate(d) for d in docs}
    assert again == demo_kb.items
