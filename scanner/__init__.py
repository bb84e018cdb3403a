"""cjis-scan: an Azure tenant scanner for the FBI CJIS Security Policy 6.0."""

__version__ = "0.1.0"
