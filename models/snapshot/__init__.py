"""The incident snapshot format: gather, CSV, manifest, zip and verify."""
