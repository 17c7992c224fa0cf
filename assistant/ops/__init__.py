"""Operations: running several workers on one database (sender locks, knowledge sync), database outages,
backup and restore. `assistant.ops.web.register(app, settings)` wires the web part; the CLI part is
`assistant.ops.cli` (lingling backup / restore)."""
