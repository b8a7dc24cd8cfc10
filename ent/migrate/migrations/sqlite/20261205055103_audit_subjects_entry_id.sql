-- Create index "auditsubject_entry_id" to table: "audit_subjects"
CREATE INDEX `auditsubject_entry_id` ON `audit_subjects` (`entry_id`);
