-- Create "payment_rollups" table
CREATE TABLE `payment_rollups` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `region_kato` text NULL, `kind` text NOT NULL, `period` text NOT NULL, `count` integer NOT NULL, `amount` integer NOT NULL, `mark` text NOT NULL);
-- Set sequence for "payment_rollups" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("payment_rollups", 111669149696);
