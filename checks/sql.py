"""Checks for sql."""
