"""Redfish (DMTF) collection for server BMCs and rack PDUs: client, reader, driver, probe."""
