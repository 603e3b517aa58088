"""Shared pytest configuration. Factories live in ``tests/factories.py``."""
