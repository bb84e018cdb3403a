"""Checks for compute."""
