"""Administration: organisations, tenants and the API keys that open them."""
