"""The one notice search (actions/filings/notice_search.py): what people type → the notices they mean."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from actions.filings import FilingStore, LostNoticeData
from actions.filings.notice_search import NoticeQuery, license_key, name_key, parse_query

Notice = Callable[..., LostNoticeData]
TYPES = [("食品经营许可证", ["食经证", "食品许可证"]), ("出版物经营许可证", ["出版物许可证", "出版物证"])]


@pytest.mark.parametrize(("typed", "expected"), [
    ("查询遗失公告 青岛明远餐饮有限公司", NoticeQuery(names=("明远餐饮",))),
    ("帮我查一下青岛明远餐饮有限公司的遗失公告", NoticeQuery(names=("明远餐饮",))),
    ("明远餐饮的公告", NoticeQuery(names=("明远餐饮",))),
    ("青島明遠餐飲有限公司", NoticeQuery(names=("明远餐饮",))),
    ("查询公告XHA-YS-2026-0001", NoticeQuery(numbers=("XHA-YS-2026-0001",))),
    ("公告编号 xha－ys－2026－1", NoticeQuery(numbers=("XHA-YS-2026-0001",))),
    ("2026-0003号公告", NoticeQuery(numbers=("2026-0003",))),
    ("查一下JY13702110012345的遗失公告", NoticeQuery(licenses=("JY13702110012345",))),
    ("ＪＹ１３７０２１１００１２３４５", NoticeQuery(licenses=("JY13702110012345",))),
    ("91370211ma3c1234xn 的公告", NoticeQuery(usccs=("91370211MA3C1234XN",))),
    ("食经证 明远", NoticeQuery(names=("明远",), license_type="食品经营许可证")),
    ("查询遗失公告", NoticeQuery()),
])
def test_parse_query(typed: str, expected: NoticeQuery) -> None:
    got = parse_query(typed, TYPES)
    assert (got.numbers, got.usccs, got.licenses, got.names, got.license_type) == (
        expected.numbers, expected.usccs, expected.licenses, expected.names, expected.license_type)
    assert got.empty == expected.empty


def test_keys() -> None:
    assert name_key("青島明遠餐飲 有限公司（分店）") == "青岛明远餐饮有限公司分店"
    assert license_key("（鲁）JZ安许证字〔2019〕010203") == "JZ2019010203"


@pytest.fixture
def board(filing_store: FilingStore, make_notice: Notice) -> FilingStore:
    rows = [("青岛明远餐饮有限公司", "91370211MA3C1234XN", "食品经营许可证", "JY13702110012345"),
            ("青岛明远书店有限公司", "91370211MA3C5555XN", "出版物经营许可证", "新出发青字第370211123号"),
            ("青岛海韵餐饮管理有限公司", "91370211MA3C7777XN", "食品经营许可证", "JY13702110099999")]
    for i, (name, uscc, kind, number) in enumerate(rows):
        fid = filing_store.submit_lost_notice(make_notice(company_name=name, uscc=uscc, license_type=kind,
                                                          license_number=number), f"k{i}").filing_id
        filing_store.approve(fid, "a")
        filing_store.publish(fid, "a")
    return filing_store


def names(result: tuple[list, int]) -> list[str]:  # type: ignore[type-arg]
    return sorted(n.company_name for n in result[0])


@pytest.mark.parametrize(("q", "expected"), [
    ("查询遗失公告 青岛明远餐饮有限公司", ["青岛明远餐饮有限公司"]),
    ("青岛明远餐饮公司", ["青岛明远餐饮有限公司"]),
    ("明远", ["青岛明远书店有限公司", "青岛明远餐饮有限公司"]),
    ("青島明遠餐飲", ["青岛明远餐饮有限公司"]),
    ("XHA-YS-2026-0003", ["青岛海韵餐饮管理有限公司"]),
    ("xha ys 2026 2", ["青岛明远书店有限公司"]),
    ("JY13702110099999", ["青岛海韵餐饮管理有限公司"]),
    ("370211123", ["青岛明远书店有限公司"]),
    ("91370211ma3c1234xn", ["青岛明远餐饮有限公司"]),
    ("食经证 明远", ["青岛明远餐饮有限公司"]),
    ("明远 有限公司", ["青岛明远书店有限公司", "青岛明远餐饮有限公司"]),
    ("青岛不存在贸易有限公司", []),
    ("%", []),
])
def test_search_finds_what_people_mean(board: FilingStore, q: str, expected: list[str]) -> None:
    assert names(board.search_notices(q=q, license_types=TYPES)) == expected


def test_the_board_filter_wins_over_a_type_in_the_text(board: FilingStore) -> None:
    assert names(board.search_notices(q="食经证 明远", license_type="出版物经营许可证", license_types=TYPES)) == \
        ["青岛明远书店有限公司"]
    assert board.search_notices(q="明远", number="2026-0001", license_types=TYPES)[1] == 1


def test_the_migration_fills_the_keys_of_notices_published_before(filing_db_url: str, make_notice: Notice) -> None:
    from actions.filings.tables import SCHEMA
    from knowledge.schema import downgrade, migration_engine, upgrade

    store = FilingStore(filing_db_url)
    store.migrate()
    try:
        fid = store.submit_lost_notice(make_notice(company_name="青岛明远餐饮有限公司"), "k").filing_id
        store.approve(fid, "a")
        store.publish(fid, "a")
        engine = migration_engine(filing_db_url)  # as `lingling db` runs them
        try:
            downgrade(engine, SCHEMA, "0002_random_references")
            with engine.connect() as conn:
                assert "name_key" not in conn.execute(text("SELECT * FROM filing_notices")).keys()
            upgrade(engine, [SCHEMA])
            with engine.connect() as conn:
                keys = conn.execute(text("SELECT name_key, license_key FROM filing_notices")).one()
        finally:
            engine.dispose()
        assert tuple(keys) == ("青岛明远餐饮有限公司", "JY13702110012345")
        assert store.search_notices(q="明远餐饮")[1] == 1
    finally:
        store.close()
