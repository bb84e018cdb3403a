"""Checks for ssp."""
