-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_payments" table
CREATE TABLE `new_payments` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `kind` text NOT NULL, `amount` integer NOT NULL, `period` text NOT NULL, `paid_on` text NULL, `payer_bin` text NULL, `recipient_iin` text NULL, `family_platform_id` text NULL, `school_bin` text NULL, `child_iin` text NULL, `contingent` integer NULL, `payer_id` integer NULL, `family_id` integer NULL, `recipient_id` integer NULL, `child_id` integer NULL, `school_id` integer NULL, CONSTRAINT `payments_employers_contributions` FOREIGN KEY (`payer_id`) REFERENCES `employers` (`id`) ON DELETE SET NULL, CONSTRAINT `payments_families_payments` FOREIGN KEY (`family_id`) REFERENCES `families` (`id`) ON DELETE SET NULL, CONSTRAINT `payments_persons_payments` FOREIGN KEY (`recipient_id`) REFERENCES `persons` (`id`) ON DELETE SET NULL, CONSTRAINT `payments_persons_child_payments` FOREIGN KEY (`child_id`) REFERENCES `persons` (`id`) ON DELETE SET NULL, CONSTRAINT `payments_schools_state_order_payments` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE SET NULL);
-- Set sequence for "new_payments" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_payments", 55834574848);
-- Copy rows from old table "payments" to new temporary table "new_payments"
INSERT INTO `new_payments` (`id`, `source`, `source_key`, `source_seq`, `source_version`, `synced_at`, `kind`, `amount`, `period`, `paid_on`, `payer_bin`, `recipient_iin`, `family_platform_id`, `school_bin`, `child_iin`, `contingent`, `payer_id`, `family_id`, `recipient_id`, `child_id`, `school_id`) SELECT `id`, `source`, `source_key`, `source_seq`, `source_version`, `synced_at`, `kind`, `amount`, `period`, `paid_on`, `payer_bin`, `recipient_iin`, `family_platform_id`, `school_bin`, `child_iin`, `contingent`, `payer_id`, `family_id`, `recipient_id`, `child_id`, `school_id` FROM `payments`;
-- Drop "payments" table after copying rows
DROP TABLE `payments`;
-- Rename temporary table "new_payments" to "payments"
ALTER TABLE `new_payments` RENAME TO `payments`;
-- Create index "payment_source_key" to table: "payments"
CREATE UNIQUE INDEX `payment_source_key` ON `payments` (`source_key`);
-- Create index "payment_kind_period" to table: "payments"
CREATE INDEX `payment_kind_period` ON `payments` (`kind`, `period`);
-- Create index "payment_period" to table: "payments"
CREATE INDEX `payment_period` ON `payments` (`period`);
-- Create index "payment_recipient_iin_kind" to table: "payments"
CREATE INDEX `payment_recipient_iin_kind` ON `payments` (`recipient_iin`, `kind`) WHERE recipient_iin IS NOT NULL;
-- Create index "payment_payer_bin_recipient_iin" to table: "payments"
CREATE INDEX `payment_payer_bin_recipient_iin` ON `payments` (`payer_bin`, `recipient_iin`) WHERE payer_bin IS NOT NULL;
-- Create index "payment_school_bin_period" to table: "payments"
CREATE INDEX `payment_school_bin_period` ON `payments` (`school_bin`, `period`) WHERE school_bin IS NOT NULL;
-- Create index "payment_child_iin_school_bin" to table: "payments"
CREATE INDEX `payment_child_iin_school_bin` ON `payments` (`child_iin`, `school_bin`) WHERE child_iin IS NOT NULL;
-- Create index "payment_family_platform_id" to table: "payments"
CREATE INDEX `payment_family_platform_id` ON `payments` (`family_platform_id`) WHERE family_platform_id IS NOT NULL;
-- Create index "payment_recipient_id" to table: "payments"
CREATE INDEX `payment_recipient_id` ON `payments` (`recipient_id`) WHERE recipient_id IS NOT NULL;
-- Create index "payment_payer_id" to table: "payments"
CREATE INDEX `payment_payer_id` ON `payments` (`payer_id`) WHERE payer_id IS NOT NULL;
-- Create index "payment_family_id" to table: "payments"
CREATE INDEX `payment_family_id` ON `payments` (`family_id`) WHERE family_id IS NOT NULL;
-- Create index "payment_school_id" to table: "payments"
CREATE INDEX `payment_school_id` ON `payments` (`school_id`) WHERE school_id IS NOT NULL;
-- Create index "payment_child_id" to table: "payments"
CREATE INDEX `payment_child_id` ON `payments` (`child_id`) WHERE child_id IS NOT NULL;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
