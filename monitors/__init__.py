"""Collection: SNMP and SSH drivers, profiles, scheduler, alarm engine, lab."""
