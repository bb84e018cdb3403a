"""Checks for monitor."""
