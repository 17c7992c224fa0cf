"""Row 10: concurrency inside a worker — a staff publish mutated the FAISS index while chat threads searched it;
a parse started before a publish stored a stale result after the cache was cleared (a removed FAQ still
answered); the "frozen" KnowledgeBase dict was edited in place, and the action server's follower emptied and
refilled it.

The architecture work (nlu/live.py) made publishes build new snapshots; these tests hold what is now enforced:
a knowledge base and a serving index refuse in-place changes, a parse that straddles a publish fills only the
old snapshot's cache, and the action server's follower never records a generation it failed to build.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from actions import live as actions_live
from actions.live import KnowledgeFollower
from knowledge.store import PUBLISHED, SqlKnowledgeStore
from knowledge.versions import read_folder
from nlu.live import KnowledgeSnapshot, LiveKnowledge

ITEM = "service-hall"


def test_a_knowledge_base_cannot_be_edited_in_place(demo_kb: Any) -> None:
    live = LiveKnowledge(KnowledgeSnapshot(demo_kb, None))  # type: ignore[arg-type]
    kb = live.current.kb
    with pytest.raises(TypeError):
        kb.items["another"] = kb.items[ITEM]  # type: ignore[index]
    with pytest.raises(TypeError):
        del kb.items[ITEM]  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        kb.items.clear()  # type: ignore[attr-defined]
    assert ITEM in kb.items


def test_a_serving_index_is_never_written(demo_kb: Any, ngram_pipeline_copy: Any) -> None:
    pipe = ngram_pipeline_copy
    item = demo_kb.items[ITEM]
    faq = item.faqs[0]
    with pytest.raises(RuntimeError):
        pipe.retriever.upsert_faq(item, faq)
    with pytest.raises(RuntimeError):
        pipe.retriever.remove_faq(faq.id)
    with pytest.raises(RuntimeError):
        pipe.retriever.index.add(np.asarray([10**9], dtype=np.int64), np.zeros((1, pipe.encoder.dim), np.float32))
    vectors = len(pipe.retriever.index)
    live = LiveKnowledge(KnowledgeSnapshot(demo_kb, pipe))
    more = faq.model_copy(update={"variants": [*faq.variants, "红队新增的问法"]})
    live.apply_item(ITEM, item.model_copy(update={"faqs": [more, *item.faqs[1:]]}))
    assert live.current.nlu.retriever.index is not pipe.retriever.index  # the publish changed a copy
    assert len(pipe.retriever.index) == vectors
    with pytest.raises(RuntimeError):
        live.current.nlu.retriever.remove_faq(faq.id)  # the new one serves now: frozen too


def test_a_parse_straddling_a_publish_fills_only_the_old_snapshots_cache(demo_kb: Any, ngram_pipeline_copy: Any,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = ngram_pipeline_copy
    live = LiveKnowledge(KnowledgeSnapshot(demo_kb, pipe))
    question = demo_kb.items[ITEM].faqs[0].question
    computed, publish_done = threading.Event(), threading.Event()
    original = type(pipe)._parse

    def slow_parse(self: Any, text: str, today: Any, focus: Any = None) -> Any:
        result = original(self, text, today, focus)
        if self is pipe:  # the old snapshot's parse: finish only after the publish
            computed.set()
            publish_done.wait(30)
        return result

    monkeypatch.setattr(type(pipe), "_parse", slow_parse)
    old = live.current.nlu
    results: list[Any] = []
    reader = threading.Thread(target=lambda: results.append(old.parse(question)))
    reader.start()
    assert computed.wait(30)
    live.apply_item(ITEM, None)  # the item is retired while the parse is under way
    publish_done.set()
    reader.join(30)
    assert any(h.service_id == ITEM for h in results[0].ranking)  # the old snapshot's answer, to its caller
    new = live.current.nlu
    assert new is not old and new.cached(question) is None
    assert all(h.service_id != ITEM for h in new.parse(question).ranking)  # never the removed item's FAQ


def test_the_action_servers_follower_retries_a_base_it_failed_to_build(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    db_url = f"sqlite:///{tmp_path / 'kb.db'}"
    store = SqlKnowledgeStore(db_url)
    store.migrate()
    store.seed(read_folder(), author="seed")
    follower = KnowledgeFollower(db_url)
    try:
        seen = follower.generation
        text = store.live_texts()[ITEM]
        name = next(line for line in text.splitlines() if line.startswith("name:"))
        store.add_version(ITEM, text.replace(name, "name: 政务服务大厅（红队）", 1), PUBLISHED, author="staff")

        def broken(texts: Any) -> Any:
            raise RuntimeError("the database went away half-way")

        with monkeypatch.context() as m:
            m.setattr(actions_live, "build_kb", broken)
            with pytest.raises(RuntimeError):
                follower.sync()
        assert follower.generation == seen  # before the fix: the new generation, with the old base for good
        assert follower.sync() is True
        assert follower.kb().items[ITEM].name == "政务服务大厅（红队）"
    finally:
        follower.close()
        store.close()
