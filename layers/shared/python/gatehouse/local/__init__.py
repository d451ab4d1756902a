"""The local stack: an embedded moto server, the resources, demo data, and `chalice local`."""
