"""The `lingling` command: serve, parse, eval, kb validate/stats/export, index build, ..."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from actions import cli as filings_cli
from actions import serve as actions_cli
from assistant import rasa_export as rasa_export_cli
from assistant.ops import cli as ops_cli
from assistant.privacy import cli as privacy_cli
from assistant.settings import Settings
from assistant.staff import cli as staff_cli
from nlu.types import Focus

# Subcommands of the other packages, each module's `register_cli(subparsers)`.
MORE_COMMANDS = (
    filings_cli,  # lingling filings ..., lingling reminders
    actions_cli,  # lingling actions --port 5055 (standalone rasa-sdk action server)
    staff_cli,  # lingling admin create
    ops_cli,  # lingling db upgrade|current|revision, lingling backup, lingling restore
    privacy_cli,  # lingling purge, lingling privacy find|export|delete
    rasa_export_cli,  # lingling export rasa DIR
)


def cmd_kb_validate(args: argparse.Namespace) -> int:
    from knowledge.errors import KnowledgeError, KnowledgeValidationError
    from knowledge.loader import load_knowledge
    from knowledge.referrals import load_directory

    folder = Path(args.dir) if args.dir else Settings.from_args(args).knowledge_dir
    try:
        kb = load_knowledge(folder)
        directory = load_directory(folder)
    except KnowledgeValidationError as exc:
        for p in exc.problems:
            print(str(p), file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return 1
    except KnowledgeError as exc:
        print(f"lingling kb validate: {exc}", file=sys.stderr)
        return 1
    print(f"ok: {len(kb.items)} services, {len(kb.faqs)} faqs, {len(directory.matters)} referral matters"
          + (f", skipped {list(kb.skipped)}" if kb.skipped else ""))
    return 0


def cmd_kb_stats(args: argparse.Namespace) -> int:
    from knowledge.errors import KnowledgeError
    from knowledge.loader import load_knowledge
    from knowledge.stats import kb_stats

    try:
        stats = kb_stats(load_knowledge(Settings.from_args(args).knowledge_dir))
    except KnowledgeError as exc:
        problems = getattr(exc, "problems", None)
        print(f"lingling kb stats: {exc}", file=sys.stderr)
        if problems:
            print(f"{len(problems)} problem(s) found; run `lingling kb validate`", file=sys.stderr)
        return 1
    print("\n".join(stats.lines()))
    return 0


def cmd_kb_export(args: argparse.Namespace) -> int:
    from knowledge.loader import load_knowledge
    from knowledge.stats import export_yaml

    text = export_yaml(load_knowledge(Settings.from_args(args).knowledge_dir))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_index_build(args: argparse.Namespace) -> int:
    from assistant.loading import build_pipeline

    t = time.perf_counter()
    pipe = build_pipeline(Settings.from_args(args), force=args.force, show_progress=True)
    print(f"index ready: {len(pipe.retriever.index)} vectors, {len(pipe.kb.faqs)} faqs, "
          f"encoder {pipe.encoder.name}, {time.perf_counter() - t:.1f}s", file=sys.stderr)
    return 0


def focus_arg(value: Any) -> Focus | None:
    """A focus from `--focus SERVICE_ID` / `--focus SERVICE_ID/FAQ_SLUG`, or a JSON line's {"service_id", "faq_id"}."""
    if isinstance(value, dict) and isinstance(value.get("service_id"), str) and value["service_id"]:
        faq = value.get("faq_id")
        return Focus(value["service_id"], faq if isinstance(faq, str) and faq else None)
    if isinstance(value, str) and value.strip():
        value = value.strip()
        return Focus(value.split("/", 1)[0], value if "/" in value else None)
    return None


def cmd_parse(args: argparse.Namespace) -> int:
    from assistant.loading import build_pipeline

    pipe = build_pipeline(Settings.from_args(args))
    default_focus = focus_arg(args.focus)
    if args.jsonl:
        for line in sys.stdin:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            focus = default_focus
            try:
                obj = json.loads(line)
                text = obj["text"] if isinstance(obj, dict) else str(obj)
                if isinstance(obj, dict) and "focus" in obj:
                    focus = focus_arg(obj["focus"])
            except (ValueError, KeyError, TypeError):
                text = line
            print(json.dumps(pipe.parse(text, focus=focus).to_wire(), ensure_ascii=False), flush=True)
        return 0
    if args.text is None:
        print("lingling parse: give a text, or --jsonl with lines on standard input", file=sys.stderr)
        return 2
    print(json.dumps(pipe.parse(args.text, focus=default_focus).to_wire(), ensure_ascii=False))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.loading import build_pipeline
    from nlu.evaluate import evaluate, read_cases

    pipe = build_pipeline(Settings.from_args(args))
    cases = read_cases(Path(args.file).read_text(encoding="utf-8").splitlines())
    rep = evaluate(cases, pipe.parse)
    print(json.dumps({"file": args.file, **rep.as_dict()}, ensure_ascii=False, indent=1))
    if args.errors:
        for e in rep.errors:
            print(json.dumps(e, ensure_ascii=False), file=sys.stderr)
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from assistant.loading import build_pipeline
    from knowledge.clock import today
    from nlu.calibrate import TUNE, calibrate, load_rows, write

    if "test_" in Path(args.file).name:
        print("lingling calibrate: thresholds are tuned on the tune set only, never on a test set", file=sys.stderr)
        return 2
    pipe = build_pipeline(Settings.from_args(args))
    result = calibrate(pipe, load_rows(Path(args.file) if args.file else TUNE), today())
    print(json.dumps({k: v for k, v in result.items() if k != "curve"}, ensure_ascii=False, indent=1))
    print("answer_min  precision  coverage  honest_none", file=sys.stderr)
    for p in result["curve"]:
        print(f"{p['answer_min']:.3f}      {p['precision']:.3f}      {p['coverage']:.3f}     {p['honest_none']:.3f}",
              file=sys.stderr)
    if args.write:
        write(result)
        print("wrote nlu/data/calibration.json", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from assistant.server import serve

    return serve(Settings.from_args(args), host=args.host, port=args.port, workers=args.workers)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lingling", description="灵灵 — 政务服务数字导办")
    p.add_argument("--data-dir", help="state folder (default: LINGLING_DATA_DIR or ./var)")
    p.add_argument("--knowledge-dir", help="YAML knowledge folder (default: the demo base)")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("serve", help="serve the web app, APIs and action server")
    s.add_argument("--host", default=None)
    s.add_argument("--port", type=int, default=None)
    s.add_argument("--workers", type=int, default=1)
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("parse", help="parse a message as POST /model/parse does")
    s.add_argument("text", nargs="?")
    s.add_argument("--jsonl", action="store_true", help="read JSON lines or plain lines from standard input")
    s.add_argument("--focus", metavar="SERVICE_ID", help="the conversation's topic in focus: a service id, or a FAQ id "
                   "(SERVICE_ID/SLUG); a follow-up without its own subject is resolved against it (JSON lines may "
                   'carry their own "focus": {"service_id": ...})')
    s.set_defaults(func=cmd_parse)

    s = sub.add_parser("eval", help="evaluate on a JSONL file of labelled messages")
    s.add_argument("file")
    s.add_argument("--errors", action="store_true", help="print every miss to standard error")
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("calibrate", help="choose the answerability thresholds on the tune set")
    s.add_argument("file", nargs="?", default="", help="a tune JSONL file (default tests/data/tune_queries.jsonl)")
    s.add_argument("--write", action="store_true", help="store the chosen values in nlu/data/calibration.json")
    s.set_defaults(func=cmd_calibrate)

    kb = sub.add_parser("kb", help="knowledge base tools").add_subparsers(dest="kb_cmd", required=True)
    s = kb.add_parser("validate", help="validate every YAML file; print all problems")
    s.add_argument("--dir", help="folder to validate (default: the configured one)")
    s.set_defaults(func=cmd_kb_validate)
    kb.add_parser("stats", help="services, FAQs, variants, example content").set_defaults(func=cmd_kb_stats)
    s = kb.add_parser("export", help="the whole base as YAML")
    s.add_argument("-o", "--output")
    s.set_defaults(func=cmd_kb_export)

    idx = sub.add_parser("index", help="vector index tools").add_subparsers(dest="index_cmd", required=True)
    s = idx.add_parser("build", help="build (or refresh) the index and the intent model")
    s.add_argument("--force", action="store_true", help="re-encode everything")
    s.set_defaults(func=cmd_index_build)

    for module in MORE_COMMANDS:
        module.register_cli(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
