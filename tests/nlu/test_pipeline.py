"""The NLU pipeline: parse results, thresholds, artefacts on disk (rebuilds) and FAQ-by-FAQ updates."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from knowledge.loader import KnowledgeBase
from knowledge.models import Faq, ServiceItem
from nlu.embeddings import EncoderSpec
from nlu.errors import IndexMismatch
from nlu.pipeline import CONTRACT_INTENTS, NluConfig, NluPipeline, load_pipeline
from nlu.retrieval import FusionWeights, Retriever, faq_texts
from nlu.types import IntentScore

NGRAM = EncoderSpec("ngram")


def _cfg(data_dir: Path | None) -> NluConfig:
    return NluConfig(data_dir=data_dir, encoder=NGRAM, build_workers=1)


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(src, dst)
    return dst


def _with_faq(kb: KnowledgeBase, service_id: str, faq: Faq, drop: str | None = None) -> tuple[KnowledgeBase, ServiceItem]:
    item = kb.items[service_id]
    faqs = [f for f in item.faqs if f.id not in (faq.id, drop)] + [faq]
    new = ServiceItem.model_validate({**item.model_dump(), "faqs": [f.model_dump() for f in faqs]})
    return KnowledgeBase(items={**kb.items, service_id: new}), new


def _without_faq(kb: KnowledgeBase, faq_id: str) -> KnowledgeBase:
    sid = faq_id.split("/")[0]
    item = kb.items[sid]
    new = ServiceItem.model_validate({**item.model_dump(), "faqs": [f.model_dump() for f in item.faqs if f.id != faq_id]})
    return KnowledgeBase(items={**kb.items, sid: new})


UNICORN = Faq.model_validate({
    "id": "service-hall/unicorn-parking",
    "question": "独角兽停车位在哪里预约",
    "variants": ["独角兽停车位怎么预约", "预约独角兽停车位", "独角兽停车位还有吗", "独角兽车位预约入口", "给独角兽订个停车位"],
    "answer": "测试用的回答。",
    "topic": "where",
    "source": {"kind": "example"},
})


# ---- parsing --------------------------------------------------------------------------------


def test_parse_result_shape(ngram_pipeline: NluPipeline, intent_names: set[str], catalog_ids: set[str]) -> None:
    text = "食品经营许可证丢了怎么补办"
    res = ngram_pipeline.parse(text, today=dt.date(2025, 6, 18))
    wire = res.to_wire()
    assert set(wire) == {"text", "intent", "intent_ranking", "entities", "retrieval"}
    assert wire["text"] == text
    assert wire["intent"]["name"] in intent_names
    assert wire["intent_ranking"][0] == wire["intent"], "the decision comes first, as in Rasa"
    assert {i["name"] for i in wire["intent_ranking"]} == set(CONTRACT_INTENTS) == intent_names
    assert len(wire["retrieval"]["ranking"]) >= 3
    scores = [h["score"] for h in wire["retrieval"]["ranking"]]
    assert scores == sorted(scores, reverse=True)
    assert all(h["service_id"] in catalog_ids for h in wire["retrieval"]["ranking"])
    (ent,) = wire["entities"]
    assert (ent["entity"], ent["value"], text[ent["start"] : ent["end"]]) == ("license_type", "食品经营许可证", "食品经营许可证")
    assert set(res.timings_ms) == {"entities", "encode", "classify", "retrieve", "decide"}
    json.dumps(wire, ensure_ascii=False)


def test_payload_syntax(ngram_pipeline: NluPipeline) -> None:
    text = '/start_lost_notice{"license_type": "食品经营许可证"}'
    res = ngram_pipeline.parse(text)
    assert res.intent == IntentScore("start_lost_notice", 1.0)
    assert res.to_wire()["intent"] == {"name": "start_lost_notice", "confidence": 1.0}
    assert [(e.entity, e.value, e.extractor) for e in res.entities] == [("license_type", "食品经营许可证", "payload")]
    e = res.entities[0]
    assert text[e.start : e.end] == '{"license_type": "食品经营许可证"}'
    assert res.entity_values("license_type") == ["食品经营许可证"]


def test_broken_payload_is_parsed_as_text(ngram_pipeline: NluPipeline) -> None:
    res = ngram_pipeline.parse('/start_lost_notice{"license_type": 食品经营许可证}')
    assert res.intent.confidence < 1.0 or res.intent.name != "start_lost_notice"
    assert "食品经营许可证" in res.entity_values("license_type")


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200d", "😀😀", "\x00\x07"])
def test_blank_messages_are_out_of_scope(ngram_pipeline: NluPipeline, text: str) -> None:
    res = ngram_pipeline.parse(text)
    assert res.intent.name == "out_of_scope" and res.normalized == ""


def test_parse_cache(ngram_pipeline: NluPipeline) -> None:
    a = ngram_pipeline.parse("政务服务中心几点开门", today=dt.date(2025, 1, 2))
    assert ngram_pipeline.parse("政务服务中心几点开门", today=dt.date(2025, 1, 2)) is a
    # Another day is another key (relative dates depend on it).
    b = ngram_pipeline.parse("政务服务中心几点开门", today=dt.date(2025, 1, 3))
    assert b is not a and b.ranking == a.ranking


def test_relative_date_uses_today(ngram_pipeline: NluPipeline) -> None:
    res = ngram_pipeline.parse("证是昨天丢的", today=dt.date(2025, 3, 1))
    assert res.entity_values("date") == ["2025-02-28"]


@pytest.mark.parametrize(
    "ranking,hit,expected",
    [
        ([("greet", 0.9), ("ask_service", 0.1)], 0.0, "greet"),
        ([("start_lost_notice", 0.5), ("ask_service", 0.3)], 0.5, "ask_service"),  # not sure enough to file
        ([("start_lost_notice", 0.7), ("ask_service", 0.2)], 0.5, "start_lost_notice"),
        ([("ask_service", 0.8), ("out_of_scope", 0.2)], 0.1, "out_of_scope"),  # nothing to answer with
        ([("ask_service", 0.8), ("out_of_scope", 0.2)], 0.5, "ask_service"),
        ([("out_of_scope", 0.6), ("ask_service", 0.4)], 0.7, "ask_service"),  # rescued by a strong hit
        ([("out_of_scope", 0.95), ("ask_service", 0.05)], 0.9, "out_of_scope"),  # unless sure it is out of scope
        ([("greet", 0.3), ("thanks", 0.25), ("ask_service", 0.2)], 0.1, "out_of_scope"),  # low confidence
    ],
)
def test_decide_thresholds(ngram_pipeline: NluPipeline, ranking: list[tuple[str, float]], hit: float, expected: str) -> None:
    got = ngram_pipeline.decide([IntentScore(n, c) for n, c in ranking], hit)
    assert got.name == expected
    assert 0.0 <= got.confidence <= 1.0


# ---- artefacts on disk ----------------------------------------------------------------------


def _progress() -> tuple[list[str], object]:
    """A progress factory that records which stages (re)encoded something."""
    calls: list[str] = []

    def factory(label: str, total: int):  # type: ignore[no-untyped-def]
        calls.append(label)
        return lambda n: None

    return calls, factory


def test_unchanged_data_loads_without_rebuilding(ngram_data_dir: Path, demo_kb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _copy(ngram_data_dir, tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in (data / "index").iterdir()}
    calls, cb = _progress()
    pipe = load_pipeline(demo_kb, _cfg(data), progress=cb)  # type: ignore[arg-type]
    assert calls == []
    assert {p.name: p.stat().st_mtime_ns for p in (data / "index").iterdir()} == before
    assert len(pipe.retriever.index) == sum(len(faq_texts(i, f)) for i, f in demo_kb.faqs)


def test_changed_knowledge_hash_rebuilds(ngram_data_dir: Path, demo_kb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _copy(ngram_data_dir, tmp_path)
    old_models = sorted(p.name for p in (data / "models").glob("intent-*.pkl"))
    kb2, _ = _with_faq(demo_kb, "service-hall", UNICORN)
    assert kb2.content_hash() != demo_kb.content_hash()
    calls, cb = _progress()
    pipe = load_pipeline(kb2, _cfg(data), progress=cb)  # type: ignore[arg-type]
    assert "encoding knowledge" in calls, "a changed knowledge base must rebuild the index"
    manifest = json.loads((data / "index" / "manifest.json").read_text(encoding="utf-8"))["manifest"]
    assert manifest["knowledge_hash"] == kb2.content_hash()
    assert len(pipe.retriever.index) == sum(len(faq_texts(i, f)) for i, f in kb2.faqs)
    assert pipe.parse("独角兽停车位怎么预约").ranking[0].faq_id == UNICORN.id
    # The intent model was retrained for the new content, and the stale one removed.
    new_models = sorted(p.name for p in (data / "models").glob("intent-*.pkl"))
    assert len(new_models) == 1 and new_models != old_models
    # Loading again is now a plain load.
    calls2, cb2 = _progress()
    load_pipeline(kb2, _cfg(data), progress=cb2)  # type: ignore[arg-type]
    assert calls2 == []


def test_changed_encoder_rebuilds(ngram_data_dir: Path, demo_kb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _copy(ngram_data_dir, tmp_path)
    m = json.loads((data / "index" / "manifest.json").read_text(encoding="utf-8"))
    m["manifest"]["encoder"] = "some-other-encoder"
    (data / "index" / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    calls, cb = _progress()
    load_pipeline(demo_kb, _cfg(data), progress=cb)  # type: ignore[arg-type]
    assert "encoding knowledge" in calls
    assert json.loads((data / "index" / "manifest.json").read_text(encoding="utf-8"))["manifest"]["encoder"] == "ngram-1024"


@pytest.mark.parametrize("damage", ["garbage", "empty", "truncated", "missing"])
def test_corrupted_index_file_is_rebuilt(ngram_data_dir: Path, demo_kb, tmp_path: Path, damage: str) -> None:  # type: ignore[no-untyped-def]
    data = _copy(ngram_data_dir, tmp_path)
    faiss_file = data / "index" / "vectors.faiss"
    if damage == "garbage":
        faiss_file.write_bytes(b"\x00garbage" * 100)
    elif damage == "empty":
        faiss_file.write_bytes(b"")
    elif damage == "truncated":
        faiss_file.write_bytes(faiss_file.read_bytes()[: faiss_file.stat().st_size // 2])
    else:
        faiss_file.unlink()
    calls, cb = _progress()
    pipe = load_pipeline(demo_kb, _cfg(data), progress=cb)  # type: ignore[arg-type]
    assert "encoding knowledge" in calls
    assert len(pipe.retriever.index) == sum(len(faq_texts(i, f)) for i, f in demo_kb.faqs)
    assert pipe.parse("医疗机构校验需要什么材料").ranking
    assert faiss_file.stat().st_size > 1000  # rewritten


@pytest.mark.parametrize("content", ["{broken", '{"manifest": {}}', ""])
def test_corrupted_manifest_is_rebuilt(ngram_data_dir: Path, demo_kb, tmp_path: Path, content: str) -> None:  # type: ignore[no-untyped-def]
    data = _copy(ngram_data_dir, tmp_path)
    (data / "index" / "manifest.json").write_text(content, encoding="utf-8")
    calls, cb = _progress()
    pipe = load_pipeline(demo_kb, _cfg(data), progress=cb)  # type: ignore[arg-type]
    assert "encoding knowledge" in calls and len(pipe.retriever.index) > 0


def test_id_table_disagreeing_with_index_is_rebuilt(ngram_data_dir: Path, demo_kb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _copy(ngram_data_dir, tmp_path)
    m = json.loads((data / "index" / "manifest.json").read_text(encoding="utf-8"))
    m["docs"] = m["docs"][:-5]
    (data / "index" / "manifest.json").write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")
    calls, cb = _progress()
    load_pipeline(demo_kb, _cfg(data), progress=cb)  # type: ignore[arg-type]
    assert "encoding knowledge" in calls


def test_corrupted_intent_model_is_retrained(ngram_data_dir: Path, demo_kb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _copy(ngram_data_dir, tmp_path)
    (model,) = (data / "models").glob("intent-*.pkl")
    model.write_bytes(b"junk")
    pipe = load_pipeline(demo_kb, _cfg(data))
    assert model.stat().st_size > 1000
    assert pipe.parse("你好").intent.name == "greet"


def test_force_rebuild(ngram_data_dir: Path, demo_kb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _copy(ngram_data_dir, tmp_path)
    calls, cb = _progress()
    load_pipeline(demo_kb, _cfg(data), progress=cb, force_rebuild=True)  # type: ignore[arg-type]
    assert "encoding knowledge" in calls


@pytest.mark.slow  # trains the intent model from scratch (~3 s)
def test_in_memory_pipeline(demo_kb) -> None:  # type: ignore[no-untyped-def]
    pipe = load_pipeline(demo_kb, _cfg(None))
    assert pipe.parse("你好").intent.name == "greet"


# ---- FAQ-by-FAQ updates: a new pipeline beside the old one ------------------------------------------


def _change(old_kb, new_kb, item_id: str):  # type: ignore[no-untyped-def]
    from nlu.retrieval import faq_changes

    new = new_kb.items.get(item_id)
    return [(new, faq_changes(old_kb.items.get(item_id), new))]


def test_updated_pipeline_reindexes_only_the_changed_faq(ngram_pipeline: NluPipeline, demo_kb,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    pipe = ngram_pipeline
    index, n0, lex0 = pipe.retriever.index, len(pipe.retriever.index), len(pipe.retriever.lexical)
    query = "给独角兽订个停车位"
    assert UNICORN.id not in {h.faq_id for h in pipe.parse(query).ranking}

    encoded: list[str] = []
    inner = pipe.retriever.encoder.inner
    original = inner.encode_docs
    monkeypatch.setattr(inner, "encode_docs", lambda texts: (encoded.extend(texts), original(texts))[1])

    kb2, item = _with_faq(demo_kb, "service-hall", UNICORN)
    pipe2 = pipe.updated(kb2, _change(demo_kb, kb2, "service-hall"))
    texts = faq_texts(item, UNICORN)
    assert len(pipe2.retriever.index) == n0 + len(texts)
    assert len(pipe2.retriever.lexical) == lex0 + 1
    assert sorted(encoded) == sorted(texts), "only the new FAQ's texts are encoded"
    top = pipe2.parse(query).ranking[0]
    assert (top.faq_id, top.service_id, top.question) == (UNICORN.id, "service-hall", UNICORN.question)
    # the old pipeline is untouched: same index object, same size, same answers
    assert pipe.retriever.index is index and len(index) == n0 and len(pipe.retriever.lexical) == lex0
    assert UNICORN.id not in {h.faq_id for h in pipe.parse(query).ranking} and pipe.kb is demo_kb
    assert pipe2.encoder is pipe.encoder and pipe2.classifier is pipe.classifier

    # Replace it with fewer texts: the index shrinks by exactly the difference.
    smaller = UNICORN.model_copy(update={"variants": UNICORN.variants[:5], "question": "独角兽停车位预约方法"})
    kb3, item3 = _with_faq(kb2, "service-hall", smaller)
    pipe3 = pipe2.updated(kb3, _change(kb2, kb3, "service-hall"))
    assert len(pipe3.retriever.index) == n0 + len(faq_texts(item3, smaller))
    assert pipe3.parse(query).ranking[0].question == "独角兽停车位预约方法"

    kb4 = _without_faq(kb3, UNICORN.id)
    pipe4 = pipe3.updated(kb4, _change(kb3, kb4, "service-hall"))
    assert len(pipe4.retriever.index) == n0 and len(pipe4.retriever.lexical) == lex0
    assert UNICORN.id not in {h.faq_id for h in pipe4.parse(query).ranking}
    assert pipe4.kb is kb4


def test_an_answer_only_change_shares_the_index(ngram_pipeline: NluPipeline, demo_kb) -> None:  # type: ignore[no-untyped-def]
    item = demo_kb.items["service-hall"]
    faq = item.faqs[0]
    kb2, _ = _with_faq(demo_kb, "service-hall", faq.model_copy(update={"answer": "新的答案"}))
    pipe2 = ngram_pipeline.updated(kb2, _change(demo_kb, kb2, "service-hall"))
    assert pipe2.retriever.index is ngram_pipeline.retriever.index and pipe2.kb is kb2
    assert pipe2.retriever is not ngram_pipeline.retriever and ngram_pipeline.retriever.kb is demo_kb


def test_remove_existing_faq(ngram_pipeline: NluPipeline, demo_kb) -> None:  # type: ignore[no-untyped-def]
    pipe = ngram_pipeline
    item, faq = next((i, f) for i, f in demo_kb.faqs if f.id.startswith("license-loss-notice/") and f.topic.value != "overview")
    n0 = len(pipe.retriever.index)
    query = faq.variants[0]
    assert faq.id in {h.faq_id for h in pipe.parse(query).ranking}
    kb2 = _without_faq(demo_kb, faq.id)
    pipe2 = pipe.updated(kb2, _change(demo_kb, kb2, item.id))
    assert len(pipe2.retriever.index) == n0 - len(faq_texts(item, faq))
    assert faq.id not in {h.faq_id for h in pipe2.parse(query).ranking}
    assert faq.id in {h.faq_id for h in pipe.parse(query).ranking}


def test_updates_survive_save_and_load(ngram_pipeline: NluPipeline, demo_kb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kb2, item = _with_faq(demo_kb, "service-hall", UNICORN)
    pipe = ngram_pipeline.updated(kb2, _change(demo_kb, kb2, "service-hall"))
    pipe.retriever.save(tmp_path / "index")
    again = Retriever(kb2, pipe.encoder, NGRAM, FusionWeights())
    again.load(tmp_path / "index")  # the manifest matches kb2: no IndexMismatch
    assert len(again.index) == len(pipe.retriever.index)
    q = "给独角兽订个停车位"
    assert again.search(q, pipe.encoder.encode_query(q))[0].faq_id == UNICORN.id
    with pytest.raises(IndexMismatch):
        Retriever(demo_kb, pipe.encoder, NGRAM, FusionWeights()).load(tmp_path / "index")
