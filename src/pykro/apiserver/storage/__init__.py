"""Storage: objects in memory under one global resourceVersion, SQLite persistence with group
commit, and the retained event window that watches replay and fan out from."""
