-- The two PostgreSQL roles of docs/database-roles.md, made or mended (idempotent).
-- Run as a superuser by `make db-roles`:
--   psql ADMIN_URL -v ON_ERROR_STOP=1 -v db=NAME -v owner=ROLE -v app=ROLE -f deploy/db-roles.sql
-- No passwords here: set them apart (psql's \password), never in a file.

-- The owner: owns the database and every table, runs migrations. CREATEDB
-- only so that the test runner can make test databases.
SELECT format('CREATE ROLE %I LOGIN', :'owner')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
ALTER ROLE :"owner" LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

-- The application: reads and writes rows, owns nothing, may not make databases
-- or roles. Not a superuser, so it cannot set session_replication_role.
SELECT format('CREATE ROLE %I LOGIN', :'app')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
ALTER ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"owner";
-- Test databases left by an earlier run (test_<db>, test_<db>_gw0, ...): the
-- owner must be able to drop them when the next run starts.
SELECT format('ALTER DATABASE %I OWNER TO %I', datname, :'owner') FROM pg_database
WHERE datname LIKE 'test\_' || :'db' || '%' \gexec

\connect :"db"
-- Nobody but the schema's owner makes tables in it (PostgreSQL 15's default, made sure).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- A database migrated earlier by another role (postgres, or the application's
-- own): its tables, views and sequences go to the owner. A table's sequences
-- follow it.
SELECT format('ALTER TABLE %I.%I OWNER TO %I', schemaname, tablename, :'owner') FROM pg_tables
WHERE schemaname = 'public' AND tableowner <> :'owner' \gexec
SELECT format('ALTER VIEW %I.%I OWNER TO %I', schemaname, viewname, :'owner') FROM pg_views
WHERE schemaname = 'public' AND viewowner <> :'owner' \gexec
SELECT format('ALTER SEQUENCE %I.%I OWNER TO %I', schemaname, sequencename, :'owner')
FROM pg_sequences
WHERE schemaname = 'public' AND sequenceowner <> :'owner' \gexec
-- The application role's rights on the tables are granted by `manage.py migrate`
-- (run as the owner; or `manage.py grant_app_role`).
