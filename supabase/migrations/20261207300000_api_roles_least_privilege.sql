-- Supabase grants `all` on public tables to its API roles and lets row level security decide. RLS
-- does not govern TRUNCATE (it empties a table whatever the policies say), nor REFERENCES (a foreign
-- key from a table the role owns probes rows it cannot read) nor TRIGGER. The browser and edge roles
-- need none of them: revoke them on every table, and for tables created later by this role.
revoke truncate, references, trigger on all tables in schema public from anon, authenticated;
alter default privileges in schema public revoke truncate, references, trigger on tables from anon, authenticated;
