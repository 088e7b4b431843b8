"""Administration: organisations and tenants; who may open a tenant (API keys, users) and do what there."""
