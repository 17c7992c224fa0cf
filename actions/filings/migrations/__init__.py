"""Alembic migrations of the filing records (a package so that installs ship them)."""
