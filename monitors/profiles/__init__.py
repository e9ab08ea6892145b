"""Device profiles: YAML schema, poll plans and the I/O-free profile engine."""
