-- The role the application connects as: it reads and writes rows but owns no table, so it
-- cannot disable the immutability triggers (ALTER TABLE ... DISABLE TRIGGER needs the owner),
-- drop or alter tables, or TRUNCATE them. Run as the owner of the tables (the role that runs
-- `manage.py migrate`) once the role exists, e.g.:
--   psql "$OWNER_DATABASE_URL" -c "CREATE ROLE gainshare_app LOGIN PASSWORD '...'"
--   psql "$OWNER_DATABASE_URL" -f bin/postgres-app-role.sql
-- and point the application's DATABASE_URL at gainshare_app. Migrations keep running as the owner.
GRANT USAGE ON SCHEMA public TO gainshare_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO gainshare_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO gainshare_app;
-- Tables and sequences that later migrations create, as the owner, get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gainshare_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO gainshare_app;
