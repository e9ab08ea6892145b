"""OID layouts of the simulated device families, written from the vendors' MIB structure."""
