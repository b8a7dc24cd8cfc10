-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_findings" table
CREATE TABLE `new_findings` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `key` text NOT NULL, `kind` text NOT NULL, `severity` text NOT NULL, `region_kato` text NOT NULL, `period` text NOT NULL DEFAULT (''), `subject_iin` text NOT NULL DEFAULT (''), `subject_bin` text NOT NULL DEFAULT (''), `other_bin` text NOT NULL DEFAULT (''), `cadastral` text NOT NULL DEFAULT (''), `position_code` text NOT NULL DEFAULT (''), `status` text NOT NULL DEFAULT ('open'), `money_at_risk` integer NOT NULL, `evidence` json NULL, `first_seen` datetime NOT NULL, `last_seen` datetime NOT NULL, `resolved_at` datetime NULL, `status_changed_by` text NULL, `status_changed_at` datetime NULL, `status_note` text NULL);
-- Set sequence for "new_findings" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_findings", 38654705664);
-- Copy rows from old table "findings" to new temporary table "new_findings"
INSERT INTO `new_findings` (`id`, `key`, `kind`, `severity`, `region_kato`, `period`, `status`, `money_at_risk`, `evidence`, `first_seen`, `last_seen`, `resolved_at`, `status_changed_by`, `status_changed_at`, `status_note`) SELECT `id`, `key`, `kind`, `severity`, `region_kato`, `period`, `status`, `money_at_risk`, `evidence`, `first_seen`, `last_seen`, `resolved_at`, `status_changed_by`, `status_changed_at`, `status_note` FROM `findings`;
-- Drop "findings" table after copying rows
DROP TABLE `findings`;
-- Rename temporary table "new_findings" to "findings"
ALTER TABLE `new_findings` RENAME TO `findings`;
-- Create index "findings_key_key" to table: "findings"
CREATE UNIQUE INDEX `findings_key_key` ON `findings` (`key`);
-- Create index "finding_kind_region_kato" to table: "findings"
CREATE INDEX `finding_kind_region_kato` ON `findings` (`kind`, `region_kato`);
-- Create index "finding_region_kato" to table: "findings"
CREATE INDEX `finding_region_kato` ON `findings` (`region_kato`);
-- Create index "finding_status" to table: "findings"
CREATE INDEX `finding_status` ON `findings` (`status`);
-- Create index "finding_subject_iin" to table: "findings"
CREATE INDEX `finding_subject_iin` ON `findings` (`subject_iin`);
-- Create index "finding_subject_bin" to table: "findings"
CREATE INDEX `finding_subject_bin` ON `findings` (`subject_bin`);
-- Create index "finding_money_at_risk" to table: "findings"
CREATE INDEX `finding_money_at_risk` ON `findings` (`money_at_risk`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
