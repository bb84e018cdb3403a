"""Checks for policy."""
