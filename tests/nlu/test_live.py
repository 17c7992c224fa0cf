"""The live knowledge: immutable snapshots (knowledge base + pipeline) swapped whole by a publish."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

from knowledge.clock import ManualClock
from knowledge.loader import KnowledgeBase
from knowledge.store import PUBLISHED, RETIRED, SqlKnowledgeStore
from knowledge.versions import dump_model
from nlu.live import KnowledgeSnapshot, LiveKnowledge

ITEM = "service-hall"


def renamed(kb: KnowledgeBase, name: str) -> Any:
    return kb.items[ITEM].model_copy(update={"name": name})


def test_a_change_swaps_in_a_new_snapshot_and_leaves_the_old_one(demo_kb: KnowledgeBase, ngram_pipeline: Any) -> None:
    live = LiveKnowledge(KnowledgeSnapshot(demo_kb, ngram_pipeline))
    old = live.current
    faq = demo_kb.items[ITEM].faqs[0]
    changed = demo_kb.items[ITEM].model_copy(update={"faqs": [faq.model_copy(update={"answer": "新答案"}), *demo_kb.items[ITEM].faqs[1:]]})
    changes = live.apply_item(ITEM, changed)
    assert changes is not None and not changes.touches_index
    new = live.current
    assert new is not old and new.revision == old.revision + 1
    assert new.kb.faq(faq.id)[1].answer == "新答案" and old.kb.faq(faq.id)[1].answer == faq.answer
    assert new.nlu.kb is new.kb and old.nlu is ngram_pipeline and ngram_pipeline.kb is demo_kb
    assert new.nlu.retriever.index is old.nlu.retriever.index, "an answer-only change shares the index"
    assert live.kb() is new.kb
    assert live.apply_item(ITEM, changed) is None and live.current is new  # already live: nothing to do


def test_a_retired_or_not_yet_effective_item_leaves_the_base(demo_kb: KnowledgeBase, ngram_pipeline: Any) -> None:
    live = LiveKnowledge(KnowledgeSnapshot(demo_kb, ngram_pipeline), clock=ManualClock(dt.datetime(2025, 6, 17, 17, 0)))
    later = demo_kb.items[ITEM].model_copy(update={"effective_from": dt.date(2025, 6, 19)})
    changes = live.apply_item(ITEM, later)
    assert changes is not None and changes.removes and ITEM not in live.current.kb.items
    question = demo_kb.items[ITEM].faqs[0].question
    assert all(h.service_id != ITEM for h in live.current.nlu.parse(question).ranking)
    assert any(h.service_id == ITEM for h in ngram_pipeline.parse(question).ranking)


def test_parses_during_publishes_always_see_one_whole_snapshot(demo_kb: KnowledgeBase, ngram_pipeline: Any) -> None:
    live = LiveKnowledge(KnowledgeSnapshot(demo_kb, ngram_pipeline))
    question = demo_kb.items[ITEM].faqs[0].question
    problems: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            snap = live.current
            try:
                top = snap.nlu.parse(question).ranking[0]
            except Exception as exc:  # noqa: BLE001 - collected for the assertion below
                problems.append(repr(exc))
                continue
            if snap.kb.faq(top.faq_id) is None:
                problems.append(f"{top.faq_id} answered but not in its snapshot's base")

    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        for i in range(6):  # index changes: new variants of the first FAQ, then an item retired and back
            item = demo_kb.items[ITEM]
            faq = item.faqs[0]
            more = faq.model_copy(update={"variants": [*faq.variants, f"大厅测试问法{i}"]})
            live.apply_item(ITEM, item.model_copy(update={"faqs": [more, *item.faqs[1:]]}))
            live.apply_item("video-service", None if i % 2 == 0 else demo_kb.items["video-service"])
    finally:
        done.set()
        for t in readers:
            t.join(30)
    assert problems == []
    assert live.current.revision == 12


def test_sync_follows_the_store(tmp_path: Path, demo_kb: KnowledgeBase, ngram_pipeline: Any) -> None:
    store = SqlKnowledgeStore(f"sqlite:///{tmp_path / 'kb.db'}")
    store.migrate()
    store.seed({i: dump_model(item) for i, item in demo_kb.items.items()})
    live = LiveKnowledge(KnowledgeSnapshot(demo_kb, ngram_pipeline, store.generation()), store)
    assert live.sync() == 0
    store.add_version(ITEM, dump_model(renamed(demo_kb, "新大厅")), PUBLISHED, "editor")
    store.add_version("video-service", dump_model(demo_kb.items["video-service"]), RETIRED, "editor")
    assert live.sync() == 2
    assert live.current.kb.items[ITEM].name == "新大厅" and "video-service" not in live.current.kb.items
    assert live.current.generation == store.generation() and live.sync() == 0
    store.close()
