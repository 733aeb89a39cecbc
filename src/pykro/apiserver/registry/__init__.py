"""The registry: object semantics behind every verb (create, update, server-side apply and its memo,
patch, delete, list with paging, scale), the catalog of served kinds and their schemas, CRD
acceptance and the write pipeline that admission plugs into. No HTTP here."""
