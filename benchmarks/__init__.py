"""Performance and accuracy benchmarks of 灵灵 (`make bench` → docs/benchmarks.md).

Entry point: `python -m benchmarks.run [--quick] [--only NAME]`. Heavy artefacts (encoded vectors of
synthetic knowledge bases, prepared data folders) live under `bench-cache/` (gitignored).
"""
