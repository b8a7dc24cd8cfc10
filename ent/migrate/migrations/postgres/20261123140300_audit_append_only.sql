-- The audit log is append-only: refuse UPDATE, DELETE and TRUNCATE of its tables, whoever asks.
CREATE FUNCTION "audit_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END
$$;
-- Refuse changes to "audit_entries"
CREATE TRIGGER "audit_entries_append_only" BEFORE UPDATE OR DELETE ON "audit_entries" FOR EACH ROW EXECUTE FUNCTION "audit_refuse_change"();
CREATE TRIGGER "audit_entries_no_truncate" BEFORE TRUNCATE ON "audit_entries" FOR EACH STATEMENT EXECUTE FUNCTION "audit_refuse_change"();
-- Refuse changes to "audit_subjects"
CREATE TRIGGER "audit_subjects_append_only" BEFORE UPDATE OR DELETE ON "audit_subjects" FOR EACH ROW EXECUTE FUNCTION "audit_refuse_change"();
CREATE TRIGGER "audit_subjects_no_truncate" BEFORE TRUNCATE ON "audit_subjects" FOR EACH STATEMENT EXECUTE FUNCTION "audit_refuse_change"();
