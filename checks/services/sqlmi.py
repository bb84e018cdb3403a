"""Azure SQL Managed Instance: TDE with a customer-managed key, public data endpoint,
minimum TLS, and where its backups live."""

from __future__ import annotations

from checks.services.backup import backup_copies_rule
from checks.services.common import CMK, MIN_TLS, PUBLIC_NETWORK
from scanner.findings import Status
from scanner.rules import equals, is_false, present, rule, tls_at_least

MI_TDE_DOC = ("https://learn.microsoft.com/azure/azure-sql/database/"
              "transparent-data-encryption-byok-overview")
MI_PUBLIC_DOC = ("https://learn.microsoft.com/azure/azure-sql/managed-instance/"
                 "public-endpoint-configure")
MI_TLS_DOC = ("https://learn.microsoft.com/azure/azure-sql/managed-instance/"
              "minimal-tls-version-configure")
MI_BACKUP_DOC = ("https://learn.microsoft.com/azure/azure-sql/managed-instance/"
                 "automated-backups-overview")
NOT_REPORTED = ("Azure reports it on every managed instance; a body without it is not as "
                "documented, so it cannot be judged")

rule(
    id="sql_managed_instance_cmk_encryption",
    title="SQL managed instances encrypt data with a customer-managed TDE protector",
    kinds="sql_managed_instances", severity="critical", tags=(CMK,),
    policy="ac01ad65-10e5-46df-bdd9-6b0cad13e1d2",
    rationale="CJI at rest on Azure Commercial must be encrypted with a key the agency "
              "controls (CJIS 6.0 step 2). The built-in has two branches, both judged: the "
              "instance's keyId must be set, and its encryption protector's serverKeyType "
              "must be AzureKeyVault; the protector's key (uri) must then be HSM-backed in "
              "a Premium vault or Managed HSM with purge protection.",
    passes=[present("key_id", "keyId names the TDE key",
                    absent_reason="Azure omits keyId when the TDE protector is "
                                  "service-managed"),
            equals("protector_key_type", "AzureKeyVault",
                   label="encryptionProtector/current serverKeyType", absent=Status.UNKNOWN,
                   absent_reason="the encryption protector did not report serverKeyType")],
    key_chain=True,
    remediation={"summary": "Grant the instance's identity access to a key in a Premium "
                            "vault or Managed HSM, add it as a server key and make it the "
                            "TDE protector.",
                 "cli": "az sql mi tde-key set --resource-group <rg> --managed-instance "
                        "<instance> --server-key-type AzureKeyVault --kid <key-uri>",
                 "docs": MI_TDE_DOC},
)

rule(
    id="sql_managed_instance_public_network_disabled",
    title="SQL managed instances keep the public data endpoint off",
    kinds="sql_managed_instances", severity="high", tags=(PUBLIC_NETWORK,),
    policy="9dfea752-dd46-4766-aed1-c355fa93fb91",
    rationale="The public data endpoint makes an instance holding CJI reachable from the "
              "internet (port 3342), widening the boundary CJIS SC-7 asks to keep narrow.",
    passes=[is_false("public_data_endpoint", absent=Status.UNKNOWN,
                     absent_reason=NOT_REPORTED)],
    remediation={"summary": "Disable the public data endpoint; reach the instance from its "
                            "virtual network or a private endpoint.",
                 "cli": "az sql mi update --resource-group <rg> --name <instance> "
                        "--public-data-endpoint-enabled false",
                 "docs": MI_PUBLIC_DOC},
)

rule(
    id="sql_managed_instance_min_tls_1_2",
    title="SQL managed instances require TLS 1.2 or newer",
    kinds="sql_managed_instances", severity="high", tags=(MIN_TLS,),
    policy="a8793640-60f7-487c-b5c3-1d37215905c4",
    rationale="CJIS SC-8 requires strong transport encryption; TLS 1.0 and 1.1 are "
              "deprecated. The built-in flags a missing minimalTlsVersion and any value "
              "other than 1.2 (None included); a newer minimum also passes here.",
    passes=[tls_at_least("minimal_tls_version", "1.2")],
    remediation={"summary": "Set the instance's minimal TLS version to 1.2.",
                 "cli": "az sql mi update --resource-group <rg> --name <instance> "
                        "--minimal-tls-version 1.2",
                 "docs": MI_TLS_DOC},
)

backup_copies_rule(
    id="sql_managed_instance_backup_copies_in_us", kind="sql_managed_instances",
    what="SQL managed instances",
    redundancy=("current_backup_redundancy", "requested_backup_redundancy"),
    geo=("Geo", "GeoZone"), cross_region=None,
    related=" Related built-in a9934fd7-29f2-4e6d-ab3d-607ea38e9079 denies every "
            "geo-redundant backup (Local or Zone only); this check keeps geo backups where "
            "the pair is in the US, and judges the current as well as the requested "
            "redundancy (Geo is the documented default).",
    remediation={"summary": "Keep the instance in a US region, or set its backup storage "
                            "redundancy to Local or Zone.",
                 "cli": "az sql mi update --resource-group <rg> --name <instance> "
                        "--backup-storage-redundancy Zone",
                 "docs": MI_BACKUP_DOC},
)
