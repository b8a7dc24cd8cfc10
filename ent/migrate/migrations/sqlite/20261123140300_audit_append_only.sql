-- The audit log is append-only: refuse UPDATE and DELETE of its tables.
CREATE TRIGGER `audit_entries_no_update` BEFORE UPDATE ON `audit_entries` BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END;
CREATE TRIGGER `audit_entries_no_delete` BEFORE DELETE ON `audit_entries` BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END;
CREATE TRIGGER `audit_subjects_no_update` BEFORE UPDATE ON `audit_subjects` BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END;
CREATE TRIGGER `audit_subjects_no_delete` BEFORE DELETE ON `audit_subjects` BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END;
