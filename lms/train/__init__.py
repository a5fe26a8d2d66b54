"""Trainer workspace: accounts, assignments, elections, sessions, progress."""
