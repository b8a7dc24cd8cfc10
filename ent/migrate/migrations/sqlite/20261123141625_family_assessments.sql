-- Create "family_assessments" table
CREATE TABLE `family_assessments` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `family_id` integer NOT NULL, `family_platform_id` text NOT NULL, `region_kato` text NOT NULL, `month` text NOT NULL, `month_seq` integer NOT NULL, `category` text NOT NULL, `indicators` json NOT NULL, `rule_version` text NOT NULL, `reason` text NOT NULL, `assessed_at` datetime NOT NULL);
-- Set sequence for "family_assessments" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("family_assessments", 98784247808);
-- Create index "familyassessment_family_id_month_rule_version" to table: "family_assessments"
CREATE UNIQUE INDEX `familyassessment_family_id_month_rule_version` ON `family_assessments` (`family_id`, `month`, `rule_version`);
-- Create index "familyassessment_rule_version_month_region_kato_category" to table: "family_assessments"
CREATE INDEX `familyassessment_rule_version_month_region_kato_category` ON `family_assessments` (`rule_version`, `month`, `region_kato`, `category`);
-- Create index "familyassessment_rule_version_region_kato_month_seq" to table: "family_assessments"
CREATE INDEX `familyassessment_rule_version_region_kato_month_seq` ON `family_assessments` (`rule_version`, `region_kato`, `month_seq`);
-- Create index "familyassessment_family_id_month_seq" to table: "family_assessments"
CREATE INDEX `familyassessment_family_id_month_seq` ON `family_assessments` (`family_id`, `month_seq`);
-- Create index "familyassessment_family_platform_id" to table: "family_assessments"
CREATE INDEX `familyassessment_family_platform_id` ON `family_assessments` (`family_platform_id`);
