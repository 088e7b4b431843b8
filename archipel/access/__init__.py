"""Archive access: the search index, query language, access contracts, downloads, DIP."""
