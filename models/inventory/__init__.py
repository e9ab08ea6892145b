"""Inventory: file formats, validation, import and the device specs the collector polls."""
