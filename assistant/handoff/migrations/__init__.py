"""Alembic revisions of this part's tables (knowledge/schema.py)."""
