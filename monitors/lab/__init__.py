"""Simulated data-center sites on loopback: SNMP PDUs, probes and BMCs, SSH servers, incidents."""

from monitors.lab.runner import LabConfig, LabHandle, send_control, start_lab

__all__ = ["LabConfig", "LabHandle", "send_control", "start_lab"]
