"""Traditional and full-width questions get the same kind of answer card as simplified ones."""

from __future__ import annotations

import pytest

from actions.faq import asks_whole_service


@pytest.mark.parametrize(("simplified", "other"), [
    ("医疗机构校验怎么办理", "醫療機構校驗怎麼辦理"),
    ("食品经营许可证丢了怎么办", "食品經營許可證丟了怎麼辦"),
    ("许可证补发要多久", "許可證補發要多久"),
    ("许可证丢了怎么办？", "许可证丢了怎么办？"),
])
def test_whole_service_questions_read_the_same(simplified: str, other: str) -> None:
    assert asks_whole_service(other) == asks_whole_service(simplified)


def test_the_whole_card_is_chosen_for_a_traditional_question() -> None:
    assert asks_whole_service("醫療機構校驗怎麼辦理")
    assert not asks_whole_service("醫療機構校驗要多久")
