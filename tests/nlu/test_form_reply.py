"""Reading a reply to a form's question (nlu/form_reply.py): its kind and the values it gives. Examples written
for these tests (never taken from the tune or test sets); the forms are the real declarations (actions/forms)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from actions.forms import LOST_NOTICE as L
from actions.forms import MEDICAL_VALIDATION as M
from actions.forms import STATUS as S

TODAY = dt.date(2026, 11, 20)  # a Friday
ITEMS = ["医疗机构执业许可证", "放射诊疗许可证", "母婴保健技术服务执业许可证", "母婴保健技术考核合格证书", "放射工作人员证",
         "麻醉药品和第一类精神药品购用印鉴卡"]


def read(pipeline: Any, form: Any, asked: str | None, text: str, filled: dict[str, Any] | None = None) -> Any:
    if filled is None:
        before = form.slot_names[: form.slot_names.index(asked)] if asked else form.slot_names
        filled = {s: (["医疗机构执业许可证", "放射工作人员证"] if s == "validation_items" else "x") for s in before}
    return pipeline.form_reader.read(text, pipeline.parse(text, TODAY), form.context(asked, filled), TODAY)


CASES = [
    # (form, asked, text, kind, fields)
    (L, "company_name", "青岛西海岸新区海天一色海鲜酒楼有限公司", "answer", {"company_name": "青岛西海岸新区海天一色海鲜酒楼有限公司"}),
    (L, "company_name", "我们公司叫青岛鑫源物流有限公司", "answer", {"company_name": "青岛鑫源物流有限公司"}),
    (L, "company_name", "青岛鑫源物流有限公司，信用代码91370211MA3C4PUH64", "multi_field",
     {"company_name": "青岛鑫源物流有限公司", "uscc": "91370211MA3C4PUH64"}),
    (L, "company_name", "青岛海滨味道餐饮有限公司 91370211MA3N8K2Q7D 许可证编号JY13702110012345", "multi_field",
     {"company_name": "青岛海滨味道餐饮有限公司", "uscc": "91370211MA3N8K2Q7D", "license_number": "JY13702110012345"}),
    (L, "company_name", "等一下我找找营业执照", "hesitation", {}),
    (L, "company_name", "单位全称是要写营业执照上的吗", "question", {}),
    (L, "company_name", "不是，我是要办医疗机构校验", "switch", {}),
    (L, "company_name", "搞错了，我要问的是身份证丢了怎么补", "switch", {}),
    (L, "company_name", "不是，我说的是营业执照丢了", "switch", {}),
    (L, "company_name", "不弄了", "cancel", {}),
    (L, "company_name", "我叫刘洋", "self_intro", {"contact_name": "刘洋"}),
    (L, "company_name", "我姓王，王建国", "self_intro", {"contact_name": "王建国"}),
    (L, "company_name", "刚才公司名字说错了，应该是青岛海滨味道餐饮有限公司", "correction",
     {"company_name": "青岛海滨味道餐饮有限公司"}),
    (L, "company_name", "等等，我先看看都填了些啥", "hesitation", {}),
    (L, "uscc", "9137 0211 MA3C 4PUH 64", "answer", {"uscc": "91370211MA3C4PUH64"}),
    (L, "uscc", "营业执照不在手边，晚点再发你", "hesitation", {}),
    (L, "uscc", "信用代码去哪里查", "hesitation", {}),
    (L, "uscc", "嗯嗯", "smalltalk", {}),
    (L, "uscc", "好吧，那我还是接着填吧", "smalltalk", {}),
    (L, "license_type", "食经证", "answer", {"license_type": "食品经营许可证"}),
    (L, "license_type", "卖烟的那个证", "answer", {"license_type": "烟草专卖零售许可证"}),
    (L, "license_type", "营业执照", "answer", {"license_type": "营业执照"}),  # no such type: the check says so
    (L, "license_type", "营业执照能登记吗", "question", {}),
    (L, "license_number", "证号我记不清了", "hesitation", {}),
    (L, "license_number", "编号在证的哪个位置", "question", {}),
    (L, "license_number", "编号JY13702110012345，上周五丢的", "multi_field",
     {"license_number": "JY13702110012345", "lost_date": "上周五"}),
    (L, "lost_date", "就上个礼拜五", "answer", {"lost_date": "上个礼拜五"}),
    (L, "lost_date", "10月底", "answer", {"lost_date": "10月底"}),
    (L, "lost_date", "具体哪天记不清了，大概是上个月月初", "answer", {"lost_date": "上个月月初"}),
    (L, "lost_date", "不记得了", "hesitation", {}),
    (L, "lost_date", "这个日期填错了会怎么样", "question", {}),
    (L, "circumstances", "前天搬家的时候忘了带走，找不到了", "answer", {"circumstances": "前天搬家的时候忘了带走，找不到了"}),
    (L, "circumstances", "不知道在哪丢的，发现的时候就没了", "answer", {"circumstances": "不知道在哪丢的，发现的时候就没了"}),
    (L, "circumstances", "被小偷连包一起偷走了，这个要报警吗", "question", {}),
    (L, "circumstances", "能不能只补副本", "question", {}),
    (L, "circumstances", "你是真人还是机器人", "smalltalk", {}),
    (L, "circumstances", "算了不办了", "cancel", {}),
    (L, "circumstances", "没事了，不办了", "cancel", {}),
    (L, "circumstances", "等等，我先看看前面填的对不对", "hesitation", {}),
    (L, "contact_name", "李娜", "answer", {"contact_name": "李娜"}),
    (L, "contact_name", "我是店长张伟", "self_intro", {"contact_name": "张伟"}),
    (L, "contact_name", "我是办公室的李娜", "self_intro", {"contact_name": "李娜"}),
    (L, "contact_name", "联系人写我们经理，陈静", "answer", {"contact_name": "陈静"}),
    (L, "contact_phone", "我手机号13812345678", "answer", {"contact_phone": "13812345678"}),
    (L, "contact_phone", "138 0642 1199，白天打这个", "answer", {"contact_phone": "13806421199"}),
    (L, "contact_phone", "等我问下老板用哪个号", "hesitation", {}),
    (L, "contact_phone", "联系人名字打错了，是张伟不是张为", "correction", {"contact_name": "张伟"}),
    (L, "contact_phone", "电话写座机可以不", "question", {}),
    (M, "institution_name", "黄岛区中心医院", "answer", {"institution_name": "黄岛区中心医院"}),
    (M, "institution_name", "不对，我说的是营业执照丢了", "switch", {}),
    (M, "institution_name", "不是校验，我要登记遗失公告", "switch", {}),
    (M, "institution_name", "青岛西海岸新区人民医院，登记号PDY12345637021117D2152", "multi_field",
     {"institution_name": "青岛西海岸新区人民医院", "registration_number": "PDY12345637021117D2152"}),
    (M, "registration_number", "这个号在许可证哪个地方", "question", {}),
    (M, "registration_number", "登记号我不知道在哪看", "hesitation", {}),
    (M, "validation_items", "六个都要", "answer", {"validation_items": ITEMS}),
    (M, "validation_items", "六项全部都要", "answer", {"validation_items": ITEMS}),
    (M, "validation_items", "除了印鉴卡其他都要", "answer", {"validation_items": ITEMS[:5]}),
    (M, "validation_items", "就执业许可证一项", "answer", {"validation_items": ITEMS[:1]}),
    (M, "validation_items", "放射诊疗、放射人员证", "answer", {"validation_items": [ITEMS[1], ITEMS[4]]}),
    (M, "validation_items", "执业的和母婴的", "answer", {"validation_items": [ITEMS[0], ITEMS[2]]}),
    (M, "validation_items", "母婴保健那两个都要", "answer", {"validation_items": [ITEMS[2], ITEMS[3]]}),
    (M, "license_valid_until", "明年二月底到期", "answer", {"license_valid_until": "明年二月底"}),
    (M, "license_valid_until", "下个月5号", "answer", {"license_valid_until": "下个月5号"}),
    (M, "license_valid_until", "2027年3月", "answer", {"license_valid_until": "2027年3月"}),
    (M, "license_valid_until", "去掉放射工作人员证", "correction", {"validation_items": [ITEMS[0]]}),
    (M, "contact_name", "我姓周", "self_intro", {}),
    (M, "contact_name", "写院长吧，孙丽华", "answer", {"contact_name": "孙丽华"}),
    (M, "contact_phone", "先这样吧，改天再填", "cancel", {}),
    (M, "contact_phone", "好的好的", "smalltalk", {}),
    (M, "contact_phone", "机构名称错了，应该是黄岛区康宁口腔诊所", "correction", {"institution_name": "黄岛区康宁口腔诊所"}),
    (L, "company_name", "太麻烦了，不弄了", "cancel", {}),
    (L, "uscc", "我还是直接去窗口办吧", "cancel", {}),
    (L, "license_type", "今天先到这吧", "cancel", {}),
    (L, "circumstances", "有点累了，明天再弄吧", "cancel", {}),
    (L, "contact_name", "不需要了，谢谢", "cancel", {}),
    (L, "lost_date", "我不申请了", "cancel", {}),
    (M, "registration_number", "等我把材料准备好再来办", "cancel", {}),
    (M, "contact_phone", "再见", "cancel", {}),
    (L, "uscc", "回头再发你", "hesitation", {}),
    (L, "company_name", "不是这个，我要查进度", "switch", {}),
    (L, "uscc", "先不填这个，我想问下你们几点下班", "switch", {}),
    (L, "license_type", "我是来查遗失公告的", "switch", {}),
    (L, "company_name", "我想咨询别的事", "switch", {}),
    (M, "institution_name", "不是丢证，是证过期了要延续", "switch", {}),
    (L, "uscc", "我想问下这个代码在哪看", "hesitation", {}),
    (L, "company_name", "我们单位是青岛蓝天物业管理有限公司，联系人刘强，电话13905321234", "multi_field",
     {'company_name': '青岛蓝天物业管理有限公司', 'contact_name': '刘强', 'contact_phone': '13905321234'}),
    (L, "uscc", "91370211MA3C4PUH64，联系人王刚", "multi_field", {'uscc': '91370211MA3C4PUH64', 'contact_name': '王刚'}),
    (L, "license_type", "食品经营许可证，上周二在店里丢的", "multi_field", {'license_type': '食品经营许可证', 'lost_date': '上周二'}),
    (M, "institution_name", "黄岛区康宁诊所，要校验执业许可证和放射诊疗许可证，有效期到2027年1月31日", "multi_field",
     {'institution_name': '黄岛区康宁诊所', 'validation_items': ['医疗机构执业许可证', '放射诊疗许可证'],
      'license_valid_until': '2027年1月31日'}),
    (L, "uscc", "统一社会信用代码和注册号是一个东西吗", "question", {}),
    (L, "company_name", "没有营业执照怎么办", "question", {}),
    (L, "company_name", "公司名字要写全称吗", "question", {}),
    (L, "license_number", "许可证编号是指哪个号码", "question", {}),
    (L, "circumstances", "日期写错了有影响没", "question", {}),
    (L, "circumstances", "遗失情况要写多详细", "question", {}),
    (L, "contact_name", "联系人可以写别人吗", "question", {}),
    (L, "contact_phone", "手机号会公开吗", "question", {}),
    (M, "validation_items", "校验项目可以以后再加吗", "question", {}),
    (M, "license_valid_until", "有效期是看正本还是副本", "question", {}),
    (M, "registration_number", "一定要填登记号吗", "question", {}),
    (L, "license_type", "上一步的信用代码输错了", "correction", {}),
    (L, "circumstances", "日期不是昨天，是前天", "correction", {'lost_date': '前天'}),
    (L, "contact_phone", "名字写错了，是李娜不是李纳", "correction", {'contact_name': '李娜'}),
    (L, "contact_phone", "联系电话多打了一个8，应该是13812345678", "correction", {'contact_phone': '13812345678'}),
    (M, "contact_name", "机构名称少了个字，是青岛市黄岛区康宁诊所", "correction", {'institution_name': '青岛市黄岛区康宁诊所'}),
    (L, "contact_name", "王建国 13806421199", "multi_field", {'contact_name': '王建国', 'contact_phone': '13806421199'}),
    (L, "license_number", "JY13702110012345，2026年11月1日丢的", "multi_field",
     {'license_number': 'JY13702110012345', 'lost_date': '2026年11月1日'}),
    (L, "company_name", "公司叫青岛蓝海湾贸易有限公司，代码91370211MA3C4PUH64，食品经营许可证丢了", "multi_field",
     {'company_name': '青岛蓝海湾贸易有限公司', 'uscc': '91370211MA3C4PUH64', 'license_type': '食品经营许可证'}),
    (L, "uscc", "91370211MA3C4PUH64", "answer", {'uscc': '91370211MA3C4PUH64'}),
    (L, "license_type", "就是卖吃的那个许可证", "answer", {'license_type': '就是卖吃的那个许可证'}),
    (L, "license_type", "药店的许可证", "answer", {'license_type': '药品经营许可证'}),
    (L, "lost_date", "今天早上", "answer", {'lost_date': '今天'}),
    (L, "lost_date", "两三天前吧", "answer", {'lost_date': '两三天前'}),
    (L, "circumstances", "不小心弄丢了", "answer", {'circumstances': '不小心弄丢了'}),
    (L, "circumstances", "丢了", "answer", {'circumstances': '丢了'}),
    (L, "contact_name", "张经理", "answer", {'contact_name': '张经理'}),
    (L, "contact_phone", "我的电话号码是0532-86981234", "answer", {'contact_phone': '0532-86981234'}),
    (M, "institution_name", "青岛西海岸新区康宁口腔诊所有限公司", "answer", {'institution_name': '青岛西海岸新区康宁口腔诊所有限公司'}),
    (M, "registration_number", "12345637021117D2152", "answer", {'registration_number': '12345637021117D2152'}),
    (M, "license_valid_until", "2027.1.31", "answer", {'license_valid_until': '2027.1.31'}),
    (M, "license_valid_until", "到2027年1月31号", "answer", {'license_valid_until': '2027年1月31号'}),
    (S, "filing_id", "LN20261120-QUBYEM 5678", "multi_field", {'filing_id': 'LN20261120-QUBYEM', 'phone_last4': '5678'}),
    (S, "filing_id", "LN20261120-QUBYEM", "answer", {'filing_id': 'LN20261120-QUBYEM'}),
]


@pytest.mark.parametrize("form,asked,text,kind,fields", CASES, ids=[c[2] for c in CASES])
def test_reply_kind_and_values(ngram_pipeline: Any, form: Any, asked: str, text: str, kind: str,
                               fields: dict[str, Any]) -> None:
    reply = read(ngram_pipeline, form, asked, text)
    assert (reply.kind.value, reply.fields) == (kind, fields)


def test_corrections_name_their_field(ngram_pipeline: Any) -> None:
    assert read(ngram_pipeline, M, "contact_phone", "登记号改一下").target == "registration_number"
    assert read(ngram_pipeline, L, "contact_phone", "电话改成13912345678").target == "contact_phone"
    r = read(ngram_pipeline, L, "uscc", "刚才说错了，应该是青岛鑫源供应链有限公司")
    assert (r.kind.value, r.target) == ("correction", "company_name")
    r = read(ngram_pipeline, M, "license_valid_until", "去掉放射工作人员证")
    assert r.removed_items == ("放射工作人员证",)


def test_partial_names_and_summaries(ngram_pipeline: Any) -> None:
    assert read(ngram_pipeline, M, "contact_name", "我姓周").partial_name == "周"
    assert read(ngram_pipeline, M, "contact_name", "写我吧，我是办公室的小徐").partial_name == "小徐"
    assert read(ngram_pipeline, L, "circumstances", "等等，我先看看都填了些啥").wants_summary
    assert read(ngram_pipeline, L, "license_type", "能登记的许可证都有哪些").about_field


def test_switch_keeps_what_is_meant(ngram_pipeline: Any) -> None:
    assert read(ngram_pipeline, L, "company_name", "不是，我说的是营业执照丢了").topic == "营业执照丢了"


def test_read_back_has_no_asked_field(ngram_pipeline: Any) -> None:
    filled = {s: "x" for s in L.slot_names}
    r = read(ngram_pipeline, L, None, "电话改成13912345678", filled)
    assert (r.kind.value, r.target, r.fields) == ("correction", "contact_phone", {"contact_phone": "13912345678"})
    assert read(ngram_pipeline, L, None, "不对", filled).kind.value == "correction"
    assert read(ngram_pipeline, L, None, "算了", filled).kind.value == "cancel"
