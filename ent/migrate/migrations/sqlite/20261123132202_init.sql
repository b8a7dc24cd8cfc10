-- Create "attachments" table
CREATE TABLE `attachments` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `iin` text NOT NULL, `institution_bin` text NOT NULL, `from` text NOT NULL, `to` text NULL, `institution_id` integer NULL, `person_id` integer NULL, CONSTRAINT `attachments_medical_institutions_attachments` FOREIGN KEY (`institution_id`) REFERENCES `medical_institutions` (`id`) ON DELETE SET NULL, CONSTRAINT `attachments_persons_attachment` FOREIGN KEY (`person_id`) REFERENCES `persons` (`id`) ON DELETE SET NULL);
-- Create index "attachment_source_key" to table: "attachments"
CREATE UNIQUE INDEX `attachment_source_key` ON `attachments` (`source_key`);
-- Create index "attachment_iin" to table: "attachments"
CREATE INDEX `attachment_iin` ON `attachments` (`iin`);
-- Create index "attachment_institution_bin" to table: "attachments"
CREATE INDEX `attachment_institution_bin` ON `attachments` (`institution_bin`);
-- Create index "attachment_person_id" to table: "attachments"
CREATE INDEX `attachment_person_id` ON `attachments` (`person_id`);
-- Create index "attachment_institution_id" to table: "attachments"
CREATE INDEX `attachment_institution_id` ON `attachments` (`institution_id`);
-- Create "buildings" table
CREATE TABLE `buildings` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `cadastral` text NOT NULL, `region_kato` text NOT NULL, `address` text NOT NULL DEFAULT (''), `designation` text NOT NULL, `design_capacity` integer NOT NULL DEFAULT (0));
-- Set sequence for "buildings" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("buildings", 4294967296);
-- Create index "buildings_cadastral_key" to table: "buildings"
CREATE UNIQUE INDEX `buildings_cadastral_key` ON `buildings` (`cadastral`);
-- Create index "building_source_key" to table: "buildings"
CREATE UNIQUE INDEX `building_source_key` ON `buildings` (`source_key`);
-- Create index "building_region_kato" to table: "buildings"
CREATE INDEX `building_region_kato` ON `buildings` (`region_kato`);
-- Create "changes" table
CREATE TABLE `changes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `seq` integer NOT NULL, `entity` text NOT NULL, `key` text NOT NULL, `iin` text NOT NULL, `op` text NOT NULL, `at` datetime NOT NULL);
-- Set sequence for "changes" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("changes", 8589934592);
-- Create index "changes_seq_key" to table: "changes"
CREATE UNIQUE INDEX `changes_seq_key` ON `changes` (`seq`);
-- Create index "change_iin" to table: "changes"
CREATE INDEX `change_iin` ON `changes` (`iin`);
-- Create "coverages" table
CREATE TABLE `coverages` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `iin` text NOT NULL, `category` text NOT NULL, `from` text NOT NULL, `to` text NULL, `person_id` integer NULL, CONSTRAINT `coverages_persons_coverage` FOREIGN KEY (`person_id`) REFERENCES `persons` (`id`) ON DELETE SET NULL);
-- Set sequence for "coverages" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("coverages", 12884901888);
-- Create index "coverage_source_key" to table: "coverages"
CREATE UNIQUE INDEX `coverage_source_key` ON `coverages` (`source_key`);
-- Create index "coverage_iin" to table: "coverages"
CREATE INDEX `coverage_iin` ON `coverages` (`iin`);
-- Create index "coverage_person_id" to table: "coverages"
CREATE INDEX `coverage_person_id` ON `coverages` (`person_id`);
-- Create "disabilities" table
CREATE TABLE `disabilities` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `iin` text NOT NULL, `group` integer NOT NULL, `from` text NOT NULL, `to` text NULL, `person_id` integer NULL, CONSTRAINT `disabilities_persons_disabilities` FOREIGN KEY (`person_id`) REFERENCES `persons` (`id`) ON DELETE SET NULL);
-- Set sequence for "disabilities" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("disabilities", 17179869184);
-- Create index "disability_source_key" to table: "disabilities"
CREATE UNIQUE INDEX `disability_source_key` ON `disabilities` (`source_key`);
-- Create index "disability_iin" to table: "disabilities"
CREATE INDEX `disability_iin` ON `disabilities` (`iin`);
-- Create index "disability_person_id" to table: "disabilities"
CREATE INDEX `disability_person_id` ON `disabilities` (`person_id`);
-- Create "employers" table
CREATE TABLE `employers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `bin` text NOT NULL, `name` text NOT NULL, `region_kato` text NOT NULL, `sector` text NOT NULL);
-- Set sequence for "employers" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("employers", 21474836480);
-- Create index "employers_bin_key" to table: "employers"
CREATE UNIQUE INDEX `employers_bin_key` ON `employers` (`bin`);
-- Create index "employer_source_key" to table: "employers"
CREATE UNIQUE INDEX `employer_source_key` ON `employers` (`source_key`);
-- Create index "employer_region_kato" to table: "employers"
CREATE INDEX `employer_region_kato` ON `employers` (`region_kato`);
-- Create "enrollments" table
CREATE TABLE `enrollments` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `enrollment_id` text NOT NULL, `child_iin` text NOT NULL, `school_bin` text NOT NULL, `grade` integer NOT NULL, `year` integer NOT NULL, `from` text NOT NULL, `to` text NULL, `child_id` integer NULL, `school_id` integer NULL, CONSTRAINT `enrollments_persons_enrollments` FOREIGN KEY (`child_id`) REFERENCES `persons` (`id`) ON DELETE SET NULL, CONSTRAINT `enrollments_schools_pupils` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE SET NULL);
-- Set sequence for "enrollments" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("enrollments", 25769803776);
-- Create index "enrollments_enrollment_id_key" to table: "enrollments"
CREATE UNIQUE INDEX `enrollments_enrollment_id_key` ON `enrollments` (`enrollment_id`);
-- Create index "enrollment_source_key" to table: "enrollments"
CREATE UNIQUE INDEX `enrollment_source_key` ON `enrollments` (`source_key`);
-- Create index "enrollment_child_iin_school_bin" to table: "enrollments"
CREATE INDEX `enrollment_child_iin_school_bin` ON `enrollments` (`child_iin`, `school_bin`);
-- Create index "enrollment_school_bin_year" to table: "enrollments"
CREATE INDEX `enrollment_school_bin_year` ON `enrollments` (`school_bin`, `year`);
-- Create index "enrollment_child_id" to table: "enrollments"
CREATE INDEX `enrollment_child_id` ON `enrollments` (`child_id`);
-- Create index "enrollment_school_id" to table: "enrollments"
CREATE INDEX `enrollment_school_id` ON `enrollments` (`school_id`);
-- Create "families" table
CREATE TABLE `families` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `platform_id` text NOT NULL, `region_kato` text NOT NULL);
-- Set sequence for "families" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("families", 30064771072);
-- Create index "families_platform_id_key" to table: "families"
CREATE UNIQUE INDEX `families_platform_id_key` ON `families` (`platform_id`);
-- Create index "family_source_key" to table: "families"
CREATE UNIQUE INDEX `family_source_key` ON `families` (`source_key`);
-- Create index "family_region_kato" to table: "families"
CREATE INDEX `family_region_kato` ON `families` (`region_kato`);
-- Create "family_memberships" table
CREATE TABLE `family_memberships` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `family_platform_id` text NOT NULL, `iin` text NOT NULL, `role` text NOT NULL, `from` text NOT NULL, `to` text NULL, `family_id` integer NULL, `person_id` integer NULL, CONSTRAINT `family_memberships_families_members` FOREIGN KEY (`family_id`) REFERENCES `families` (`id`) ON DELETE SET NULL, CONSTRAINT `family_memberships_persons_memberships` FOREIGN KEY (`person_id`) REFERENCES `persons` (`id`) ON DELETE SET NULL);
-- Set sequence for "family_memberships" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("family_memberships", 34359738368);
-- Create index "familymembership_source_key" to table: "family_memberships"
CREATE UNIQUE INDEX `familymembership_source_key` ON `family_memberships` (`source_key`);
-- Create index "familymembership_family_platform_id" to table: "family_memberships"
CREATE INDEX `familymembership_family_platform_id` ON `family_memberships` (`family_platform_id`);
-- Create index "familymembership_iin" to table: "family_memberships"
CREATE INDEX `familymembership_iin` ON `family_memberships` (`iin`);
-- Create index "familymembership_family_id" to table: "family_memberships"
CREATE INDEX `familymembership_family_id` ON `family_memberships` (`family_id`);
-- Create index "familymembership_person_id" to table: "family_memberships"
CREATE INDEX `familymembership_person_id` ON `family_memberships` (`person_id`);
-- Create "findings" table
CREATE TABLE `findings` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `key` text NOT NULL, `kind` text NOT NULL, `severity` text NOT NULL, `region_kato` text NOT NULL, `period` text NOT NULL DEFAULT (''), `status` text NOT NULL DEFAULT ('open'), `money_at_risk` integer NOT NULL, `evidence` json NULL, `first_seen` datetime NOT NULL, `last_seen` datetime NOT NULL, `resolved_at` datetime NULL, `status_changed_by` text NULL, `status_changed_at` datetime NULL, `status_note` text NULL);
-- Set sequence for "findings" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("findings", 38654705664);
-- Create index "findings_key_key" to table: "findings"
CREATE UNIQUE INDEX `findings_key_key` ON `findings` (`key`);
-- Create index "finding_kind_region_kato" to table: "findings"
CREATE INDEX `finding_kind_region_kato` ON `findings` (`kind`, `region_kato`);
-- Create index "finding_region_kato" to table: "findings"
CREATE INDEX `finding_region_kato` ON `findings` (`region_kato`);
-- Create index "finding_status" to table: "findings"
CREATE INDEX `finding_status` ON `findings` (`status`);
-- Create "income_reports" table
CREATE TABLE `income_reports` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `school_bin` text NOT NULL, `year` integer NOT NULL, `income` integer NOT NULL, `filed_on` text NOT NULL, `school_id` integer NULL, CONSTRAINT `income_reports_schools_income_reports` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE SET NULL);
-- Set sequence for "income_reports" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("income_reports", 42949672960);
-- Create index "incomereport_source_key" to table: "income_reports"
CREATE UNIQUE INDEX `incomereport_source_key` ON `income_reports` (`source_key`);
-- Create index "incomereport_school_bin_year" to table: "income_reports"
CREATE INDEX `incomereport_school_bin_year` ON `income_reports` (`school_bin`, `year`);
-- Create index "incomereport_school_id" to table: "income_reports"
CREATE INDEX `incomereport_school_id` ON `income_reports` (`school_id`);
-- Create "labour_contracts" table
CREATE TABLE `labour_contracts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `contract_id` text NOT NULL, `iin` text NOT NULL, `employer_bin` text NOT NULL, `region_kato` text NOT NULL, `position` text NOT NULL, `start` text NOT NULL, `end` text NULL, `wage` integer NOT NULL, `employer_id` integer NULL, `person_id` integer NULL, CONSTRAINT `labour_contracts_employers_contracts` FOREIGN KEY (`employer_id`) REFERENCES `employers` (`id`) ON DELETE SET NULL, CONSTRAINT `labour_contracts_persons_employment` FOREIGN KEY (`person_id`) REFERENCES `persons` (`id`) ON DELETE SET NULL);
-- Set sequence for "labour_contracts" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("labour_contracts", 47244640256);
-- Create index "labour_contracts_contract_id_key" to table: "labour_contracts"
CREATE UNIQUE INDEX `labour_contracts_contract_id_key` ON `labour_contracts` (`contract_id`);
-- Create index "labourcontract_source_key" to table: "labour_contracts"
CREATE UNIQUE INDEX `labourcontract_source_key` ON `labour_contracts` (`source_key`);
-- Create index "labourcontract_iin_employer_bin" to table: "labour_contracts"
CREATE INDEX `labourcontract_iin_employer_bin` ON `labour_contracts` (`iin`, `employer_bin`);
-- Create index "labourcontract_employer_bin" to table: "labour_contracts"
CREATE INDEX `labourcontract_employer_bin` ON `labour_contracts` (`employer_bin`);
-- Create index "labourcontract_person_id" to table: "labour_contracts"
CREATE INDEX `labourcontract_person_id` ON `labour_contracts` (`person_id`);
-- Create index "labourcontract_employer_id" to table: "labour_contracts"
CREATE INDEX `labourcontract_employer_id` ON `labour_contracts` (`employer_id`);
-- Create "medical_institutions" table
CREATE TABLE `medical_institutions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `bin` text NOT NULL, `name` text NOT NULL, `region_kato` text NOT NULL, `cadastral` text NOT NULL DEFAULT (''), `primary` bool NOT NULL DEFAULT (false), `building_id` integer NULL, CONSTRAINT `medical_institutions_buildings_medical_institutions` FOREIGN KEY (`building_id`) REFERENCES `buildings` (`id`) ON DELETE SET NULL);
-- Set sequence for "medical_institutions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("medical_institutions", 51539607552);
-- Create index "medical_institutions_bin_key" to table: "medical_institutions"
CREATE UNIQUE INDEX `medical_institutions_bin_key` ON `medical_institutions` (`bin`);
-- Create index "medicalinstitution_source_key" to table: "medical_institutions"
CREATE UNIQUE INDEX `medicalinstitution_source_key` ON `medical_institutions` (`source_key`);
-- Create index "medicalinstitution_region_kato" to table: "medical_institutions"
CREATE INDEX `medicalinstitution_region_kato` ON `medical_institutions` (`region_kato`);
-- Create index "medicalinstitution_building_id" to table: "medical_institutions"
CREATE INDEX `medicalinstitution_building_id` ON `medical_institutions` (`building_id`);
-- Create "payments" table
CREATE TABLE `payments` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `kind` text NOT NULL, `amount` integer NOT NULL, `period` text NOT NULL, `paid_on` text NULL, `payer_bin` text NULL, `recipient_iin` text NULL, `family_platform_id` text NULL, `school_bin` text NULL, `child_iin` text NULL, `contingent` integer NULL, `payer_id` integer NULL, `family_id` integer NULL, `recipient_id` integer NULL, `child_id` integer NULL, `school_id` integer NULL, CONSTRAINT `payments_employers_contributions` FOREIGN KEY (`payer_id`) REFERENCES `employers` (`id`) ON DELETE SET NULL, CONSTRAINT `payments_families_payments` FOREIGN KEY (`family_id`) REFERENCES `families` (`id`) ON DELETE SET NULL, CONSTRAINT `payments_persons_payments` FOREIGN KEY (`recipient_id`) REFERENCES `persons` (`id`) ON DELETE SET NULL, CONSTRAINT `payments_persons_child_payments` FOREIGN KEY (`child_id`) REFERENCES `persons` (`id`) ON DELETE SET NULL, CONSTRAINT `payments_schools_state_order_payments` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE SET NULL);
-- Set sequence for "payments" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("payments", 55834574848);
-- Create index "payment_source_key" to table: "payments"
CREATE UNIQUE INDEX `payment_source_key` ON `payments` (`source_key`);
-- Create index "payment_kind_period" to table: "payments"
CREATE INDEX `payment_kind_period` ON `payments` (`kind`, `period`);
-- Create index "payment_period" to table: "payments"
CREATE INDEX `payment_period` ON `payments` (`period`);
-- Create index "payment_recipient_iin_kind" to table: "payments"
CREATE INDEX `payment_recipient_iin_kind` ON `payments` (`recipient_iin`, `kind`);
-- Create index "payment_payer_bin_recipient_iin" to table: "payments"
CREATE INDEX `payment_payer_bin_recipient_iin` ON `payments` (`payer_bin`, `recipient_iin`);
-- Create index "payment_school_bin_period" to table: "payments"
CREATE INDEX `payment_school_bin_period` ON `payments` (`school_bin`, `period`);
-- Create index "payment_child_iin_school_bin" to table: "payments"
CREATE INDEX `payment_child_iin_school_bin` ON `payments` (`child_iin`, `school_bin`);
-- Create index "payment_family_platform_id" to table: "payments"
CREATE INDEX `payment_family_platform_id` ON `payments` (`family_platform_id`);
-- Create index "payment_recipient_id" to table: "payments"
CREATE INDEX `payment_recipient_id` ON `payments` (`recipient_id`);
-- Create index "payment_payer_id" to table: "payments"
CREATE INDEX `payment_payer_id` ON `payments` (`payer_id`);
-- Create index "payment_family_id" to table: "payments"
CREATE INDEX `payment_family_id` ON `payments` (`family_id`);
-- Create index "payment_school_id" to table: "payments"
CREATE INDEX `payment_school_id` ON `payments` (`school_id`);
-- Create index "payment_child_id" to table: "payments"
CREATE INDEX `payment_child_id` ON `payments` (`child_id`);
-- Create "persons" table
CREATE TABLE `persons` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `iin` text NOT NULL, `last_name` text NOT NULL, `first_name` text NOT NULL, `patronymic` text NOT NULL DEFAULT (''), `birth_date` text NOT NULL, `sex` text NOT NULL, `region_kato` text NOT NULL, `death_date` text NULL);
-- Set sequence for "persons" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("persons", 60129542144);
-- Create index "persons_iin_key" to table: "persons"
CREATE UNIQUE INDEX `persons_iin_key` ON `persons` (`iin`);
-- Create index "person_source_key" to table: "persons"
CREATE UNIQUE INDEX `person_source_key` ON `persons` (`source_key`);
-- Create index "person_region_kato" to table: "persons"
CREATE INDEX `person_region_kato` ON `persons` (`region_kato`);
-- Create index "person_last_name_first_name" to table: "persons"
CREATE INDEX `person_last_name_first_name` ON `persons` (`last_name`, `first_name`);
-- Create index "person_birth_date" to table: "persons"
CREATE INDEX `person_birth_date` ON `persons` (`birth_date`);
-- Create "quarantines" table
CREATE TABLE `quarantines` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `fingerprint` text NOT NULL, `source` text NOT NULL, `entity` text NOT NULL, `key` text NOT NULL DEFAULT (''), `reason` text NOT NULL, `raw` text NOT NULL, `seen_at` datetime NOT NULL);
-- Set sequence for "quarantines" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("quarantines", 64424509440);
-- Create index "quarantines_fingerprint_key" to table: "quarantines"
CREATE UNIQUE INDEX `quarantines_fingerprint_key` ON `quarantines` (`fingerprint`);
-- Create index "quarantine_source_entity" to table: "quarantines"
CREATE INDEX `quarantine_source_entity` ON `quarantines` (`source`, `entity`);
-- Create index "quarantine_key" to table: "quarantines"
CREATE INDEX `quarantine_key` ON `quarantines` (`key`);
-- Create "register_positions" table
CREATE TABLE `register_positions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `code` text NOT NULL, `title` text NOT NULL);
-- Set sequence for "register_positions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("register_positions", 68719476736);
-- Create index "register_positions_code_key" to table: "register_positions"
CREATE UNIQUE INDEX `register_positions_code_key` ON `register_positions` (`code`);
-- Create index "registerposition_source_key" to table: "register_positions"
CREATE UNIQUE INDEX `registerposition_source_key` ON `register_positions` (`source_key`);
-- Create "schools" table
CREATE TABLE `schools` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `bin` text NOT NULL, `name` text NOT NULL, `kind` text NOT NULL, `ownership` text NOT NULL, `region_kato` text NOT NULL, `cadastral` text NOT NULL DEFAULT (''), `state_order` bool NOT NULL DEFAULT (false), `building_id` integer NULL, CONSTRAINT `schools_buildings_schools` FOREIGN KEY (`building_id`) REFERENCES `buildings` (`id`) ON DELETE SET NULL);
-- Set sequence for "schools" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("schools", 73014444032);
-- Create index "schools_bin_key" to table: "schools"
CREATE UNIQUE INDEX `schools_bin_key` ON `schools` (`bin`);
-- Create index "school_source_key" to table: "schools"
CREATE UNIQUE INDEX `school_source_key` ON `schools` (`source_key`);
-- Create index "school_region_kato_kind_ownership" to table: "schools"
CREATE INDEX `school_region_kato_kind_ownership` ON `schools` (`region_kato`, `kind`, `ownership`);
-- Create index "school_cadastral" to table: "schools"
CREATE INDEX `school_cadastral` ON `schools` (`cadastral`);
-- Create index "school_building_id" to table: "schools"
CREATE INDEX `school_building_id` ON `schools` (`building_id`);
-- Create "staff_positions" table
CREATE TABLE `staff_positions` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `school_bin` text NOT NULL, `iin` text NOT NULL, `position` text NOT NULL, `from` text NOT NULL, `to` text NULL, `person_id` integer NULL, `school_id` integer NULL, CONSTRAINT `staff_positions_persons_staff_positions` FOREIGN KEY (`person_id`) REFERENCES `persons` (`id`) ON DELETE SET NULL, CONSTRAINT `staff_positions_schools_staff` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE SET NULL);
-- Set sequence for "staff_positions" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("staff_positions", 77309411328);
-- Create index "staffposition_source_key" to table: "staff_positions"
CREATE UNIQUE INDEX `staffposition_source_key` ON `staff_positions` (`source_key`);
-- Create index "staffposition_school_bin" to table: "staff_positions"
CREATE INDEX `staffposition_school_bin` ON `staff_positions` (`school_bin`);
-- Create index "staffposition_iin_school_bin" to table: "staff_positions"
CREATE INDEX `staffposition_iin_school_bin` ON `staff_positions` (`iin`, `school_bin`);
-- Create index "staffposition_school_id" to table: "staff_positions"
CREATE INDEX `staffposition_school_id` ON `staff_positions` (`school_id`);
-- Create index "staffposition_person_id" to table: "staff_positions"
CREATE INDEX `staffposition_person_id` ON `staff_positions` (`person_id`);
-- Create "staffing_declarations" table
CREATE TABLE `staffing_declarations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `bin` text NOT NULL, `position_code` text NOT NULL, `title` text NOT NULL, `units` integer NOT NULL, `month` text NOT NULL, `employer_id` integer NULL, `register_position_id` integer NULL, CONSTRAINT `staffing_declarations_employers_staffing_declarations` FOREIGN KEY (`employer_id`) REFERENCES `employers` (`id`) ON DELETE SET NULL, CONSTRAINT `staffing_declarations_register_positions_declarations` FOREIGN KEY (`register_position_id`) REFERENCES `register_positions` (`id`) ON DELETE SET NULL);
-- Set sequence for "staffing_declarations" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("staffing_declarations", 81604378624);
-- Create index "staffingdeclaration_source_key" to table: "staffing_declarations"
CREATE UNIQUE INDEX `staffingdeclaration_source_key` ON `staffing_declarations` (`source_key`);
-- Create index "staffingdeclaration_bin_month" to table: "staffing_declarations"
CREATE INDEX `staffingdeclaration_bin_month` ON `staffing_declarations` (`bin`, `month`);
-- Create index "staffingdeclaration_position_code" to table: "staffing_declarations"
CREATE INDEX `staffingdeclaration_position_code` ON `staffing_declarations` (`position_code`);
-- Create index "staffingdeclaration_employer_id" to table: "staffing_declarations"
CREATE INDEX `staffingdeclaration_employer_id` ON `staffing_declarations` (`employer_id`);
-- Create index "staffingdeclaration_register_position_id" to table: "staffing_declarations"
CREATE INDEX `staffingdeclaration_register_position_id` ON `staffing_declarations` (`register_position_id`);
-- Create "sync_cursors" table
CREATE TABLE `sync_cursors` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `cursor` text NOT NULL DEFAULT (''), `records` integer NOT NULL DEFAULT (0), `total` integer NOT NULL DEFAULT (0), `done` bool NOT NULL DEFAULT (false), `updated_at` datetime NOT NULL);
-- Set sequence for "sync_cursors" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("sync_cursors", 85899345920);
-- Create index "sync_cursors_source_key" to table: "sync_cursors"
CREATE UNIQUE INDEX `sync_cursors_source_key` ON `sync_cursors` (`source`);
-- Create "visits" table
CREATE TABLE `visits` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `visit_id` text NOT NULL, `iin` text NOT NULL, `institution_bin` text NOT NULL, `date` text NOT NULL, `kind` text NOT NULL, `institution_id` integer NULL, `person_id` integer NULL, CONSTRAINT `visits_medical_institutions_visits` FOREIGN KEY (`institution_id`) REFERENCES `medical_institutions` (`id`) ON DELETE SET NULL, CONSTRAINT `visits_persons_visits` FOREIGN KEY (`person_id`) REFERENCES `persons` (`id`) ON DELETE SET NULL);
-- Set sequence for "visits" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("visits", 90194313216);
-- Create index "visits_visit_id_key" to table: "visits"
CREATE UNIQUE INDEX `visits_visit_id_key` ON `visits` (`visit_id`);
-- Create index "visit_source_key" to table: "visits"
CREATE UNIQUE INDEX `visit_source_key` ON `visits` (`source_key`);
-- Create index "visit_iin_date" to table: "visits"
CREATE INDEX `visit_iin_date` ON `visits` (`iin`, `date`);
-- Create index "visit_institution_bin" to table: "visits"
CREATE INDEX `visit_institution_bin` ON `visits` (`institution_bin`);
-- Create index "visit_person_id" to table: "visits"
CREATE INDEX `visit_person_id` ON `visits` (`person_id`);
-- Create index "visit_institution_id" to table: "visits"
CREATE INDEX `visit_institution_id` ON `visits` (`institution_id`);
-- Create "vouchers" table
CREATE TABLE `vouchers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `source` text NOT NULL, `source_key` text NOT NULL, `source_seq` integer NULL, `source_version` text NOT NULL, `synced_at` datetime NOT NULL, `voucher_id` text NOT NULL, `child_iin` text NOT NULL, `parent_iin` text NOT NULL, `school_bin` text NOT NULL, `from` text NOT NULL, `to` text NULL, `child_id` integer NULL, `parent_id` integer NULL, `school_id` integer NULL, CONSTRAINT `vouchers_persons_vouchers` FOREIGN KEY (`child_id`) REFERENCES `persons` (`id`) ON DELETE SET NULL, CONSTRAINT `vouchers_persons_parent_vouchers` FOREIGN KEY (`parent_id`) REFERENCES `persons` (`id`) ON DELETE SET NULL, CONSTRAINT `vouchers_schools_vouchers` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE SET NULL);
-- Set sequence for "vouchers" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("vouchers", 94489280512);
-- Create index "vouchers_voucher_id_key" to table: "vouchers"
CREATE UNIQUE INDEX `vouchers_voucher_id_key` ON `vouchers` (`voucher_id`);
-- Create index "voucher_source_key" to table: "vouchers"
CREATE UNIQUE INDEX `voucher_source_key` ON `vouchers` (`source_key`);
-- Create index "voucher_child_iin_school_bin" to table: "vouchers"
CREATE INDEX `voucher_child_iin_school_bin` ON `vouchers` (`child_iin`, `school_bin`);
-- Create index "voucher_school_bin" to table: "vouchers"
CREATE INDEX `voucher_school_bin` ON `vouchers` (`school_bin`);
-- Create index "voucher_child_id" to table: "vouchers"
CREATE INDEX `voucher_child_id` ON `vouchers` (`child_id`);
-- Create index "voucher_parent_id" to table: "vouchers"
CREATE INDEX `voucher_parent_id` ON `vouchers` (`parent_id`);
-- Create index "voucher_school_id" to table: "vouchers"
CREATE INDEX `voucher_school_id` ON `vouchers` (`school_id`);
-- Create "finding_persons" table
CREATE TABLE `finding_persons` (`finding_id` integer NOT NULL, `person_id` integer NOT NULL, PRIMARY KEY (`finding_id`, `person_id`), CONSTRAINT `finding_persons_finding_id` FOREIGN KEY (`finding_id`) REFERENCES `findings` (`id`) ON DELETE CASCADE, CONSTRAINT `finding_persons_person_id` FOREIGN KEY (`person_id`) REFERENCES `persons` (`id`) ON DELETE CASCADE);
-- Create "finding_families" table
CREATE TABLE `finding_families` (`finding_id` integer NOT NULL, `family_id` integer NOT NULL, PRIMARY KEY (`finding_id`, `family_id`), CONSTRAINT `finding_families_finding_id` FOREIGN KEY (`finding_id`) REFERENCES `findings` (`id`) ON DELETE CASCADE, CONSTRAINT `finding_families_family_id` FOREIGN KEY (`family_id`) REFERENCES `families` (`id`) ON DELETE CASCADE);
-- Create "finding_schools" table
CREATE TABLE `finding_schools` (`finding_id` integer NOT NULL, `school_id` integer NOT NULL, PRIMARY KEY (`finding_id`, `school_id`), CONSTRAINT `finding_schools_finding_id` FOREIGN KEY (`finding_id`) REFERENCES `findings` (`id`) ON DELETE CASCADE, CONSTRAINT `finding_schools_school_id` FOREIGN KEY (`school_id`) REFERENCES `schools` (`id`) ON DELETE CASCADE);
-- Create "finding_employers" table
CREATE TABLE `finding_employers` (`finding_id` integer NOT NULL, `employer_id` integer NOT NULL, PRIMARY KEY (`finding_id`, `employer_id`), CONSTRAINT `finding_employers_finding_id` FOREIGN KEY (`finding_id`) REFERENCES `findings` (`id`) ON DELETE CASCADE, CONSTRAINT `finding_employers_employer_id` FOREIGN KEY (`employer_id`) REFERENCES `employers` (`id`) ON DELETE CASCADE);
-- Create "finding_buildings" table
CREATE TABLE `finding_buildings` (`finding_id` integer NOT NULL, `building_id` integer NOT NULL, PRIMARY KEY (`finding_id`, `building_id`), CONSTRAINT `finding_buildings_finding_id` FOREIGN KEY (`finding_id`) REFERENCES `findings` (`id`) ON DELETE CASCADE, CONSTRAINT `finding_buildings_building_id` FOREIGN KEY (`building_id`) REFERENCES `buildings` (`id`) ON DELETE CASCADE);
-- Create "finding_medical_institutions" table
CREATE TABLE `finding_medical_institutions` (`finding_id` integer NOT NULL, `medical_institution_id` integer NOT NULL, PRIMARY KEY (`finding_id`, `medical_institution_id`), CONSTRAINT `finding_medical_institutions_finding_id` FOREIGN KEY (`finding_id`) REFERENCES `findings` (`id`) ON DELETE CASCADE, CONSTRAINT `finding_medical_institutions_medical_institution_id` FOREIGN KEY (`medical_institution_id`) REFERENCES `medical_institutions` (`id`) ON DELETE CASCADE);
-- Create "finding_payments" table
CREATE TABLE `finding_payments` (`finding_id` integer NOT NULL, `payment_id` integer NOT NULL, PRIMARY KEY (`finding_id`, `payment_id`), CONSTRAINT `finding_payments_finding_id` FOREIGN KEY (`finding_id`) REFERENCES `findings` (`id`) ON DELETE CASCADE, CONSTRAINT `finding_payments_payment_id` FOREIGN KEY (`payment_id`) REFERENCES `payments` (`id`) ON DELETE CASCADE);
