"""Start-up stays lean: the served app never imports what only training, Excel or remote actions need."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

# scikit-learn/SciPy: training only (nlu/classifier.py scores with numpy); openpyxl: Excel import/export;
# httpx: remote action calls (actions/client.py) and the SMS gateway channel (actions/reminders/channels.py).
NOT_AT_START = ("sklearn", "scipy", "openpyxl", "httpx")

CODE = """
import asyncio, sys
from assistant.app import create_app
from assistant.settings import Settings

app = create_app(Settings())

async def main():
    async with app.router.lifespan_context(app):
        assert app.state.services.knowledge.current.nlu.parse("你好").intent
        print(",".join(sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1].split(",")))))

asyncio.run(main())
"""


def test_serving_imports_no_training_or_optional_libraries(ngram_data_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ngram_data_dir, data)
    env = {**os.environ, "LINGLING_DATA_DIR": str(data), "LINGLING_ENCODER": "ngram", "LINGLING_ANNOUNCE": "0"}
    done = subprocess.run([sys.executable, "-c", CODE, ",".join(NOT_AT_START)], env=env, capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "", f"imported at start-up: {done.stdout.strip()}"
