"""The Alembic environment of every part of the database (knowledge/schema.py hands in the part and the connection)."""

from __future__ import annotations

from alembic import context

config = context.config
part = config.attributes["part"]  # knowledge.schema.SchemaPart
context.configure(
    connection=config.attributes["connection"],
    target_metadata=part.metadata,
    version_table=part.version_table,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
