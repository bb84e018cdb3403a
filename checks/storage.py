"""Checks for storage."""
