"""Database schema, time-series store, inventory and migrations."""
