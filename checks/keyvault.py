"""Checks for keyvault."""
