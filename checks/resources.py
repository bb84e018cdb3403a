"""Checks for resources."""
