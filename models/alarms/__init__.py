"""Alarm lifecycle in the database and the alarm rows desks read."""
