"""Alembic migrations for the RackWatch schema."""
