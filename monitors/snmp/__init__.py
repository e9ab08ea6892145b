"""SNMP: asynchronous client, the v1/v2c fast path, BER codec, values and probe."""
