"""PostgreSQL access: the pool, and every SQL statement of the project."""
