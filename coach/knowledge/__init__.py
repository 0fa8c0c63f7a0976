"""Trusted reference data for the source audit (YAML only; loaded by ``coach.audit.kb``)."""
