-- Run once, by the postgres image's entrypoint, when it initialises an empty data folder (docker-compose.postgres.yml):
-- one database per service, as each had its own SQLite file. Each service creates its own tables at start.
-- Owned by POSTGRES_USER, the role both services log in as in the demo (docs/postgresql.md: a role each in production).
CREATE DATABASE order_service;
CREATE DATABASE inventory_service;
