"""Real daemons on loopback (snmpd, snmpsim, sshd, PostgreSQL) for tests, benches and scripts."""
