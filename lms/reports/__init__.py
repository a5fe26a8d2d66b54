"""Monitoring reports: completion and knowledge, from summary tables kept correct on every write."""
