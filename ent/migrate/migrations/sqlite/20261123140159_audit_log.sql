-- Create "audit_entries" table
CREATE TABLE `audit_entries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `seq` integer NOT NULL, `at` datetime NOT NULL, `subject` text NOT NULL, `role` text NOT NULL, `client` text NOT NULL, `purpose` text NOT NULL DEFAULT (''), `operation` text NOT NULL DEFAULT (''), `query_hash` text NOT NULL, `aggregate` bool NOT NULL DEFAULT (false), `iins` text NOT NULL DEFAULT (''), `request_id` text NOT NULL DEFAULT (''), `prev_hash` text NOT NULL, `hash` text NOT NULL);
-- Set sequence for "audit_entries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("audit_entries", 103079215104);
-- Create index "audit_entries_seq_key" to table: "audit_entries"
CREATE UNIQUE INDEX `audit_entries_seq_key` ON `audit_entries` (`seq`);
-- Create index "audit_entries_hash_key" to table: "audit_entries"
CREATE UNIQUE INDEX `audit_entries_hash_key` ON `audit_entries` (`hash`);
-- Create "audit_subjects" table
CREATE TABLE `audit_subjects` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `iin` text NOT NULL, `entry_id` integer NOT NULL, CONSTRAINT `audit_subjects_audit_entries_subjects` FOREIGN KEY (`entry_id`) REFERENCES `audit_entries` (`id`) ON DELETE NO ACTION);
-- Set sequence for "audit_subjects" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("audit_subjects", 107374182400);
-- Create index "auditsubject_iin_entry_id" to table: "audit_subjects"
CREATE INDEX `auditsubject_iin_entry_id` ON `audit_subjects` (`iin`, `entry_id`);
