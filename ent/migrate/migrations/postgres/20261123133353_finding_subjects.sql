-- Modify "findings" table
ALTER TABLE "findings" ADD COLUMN "subject_iin" character varying NOT NULL DEFAULT '', ADD COLUMN "subject_bin" character varying NOT NULL DEFAULT '', ADD COLUMN "other_bin" character varying NOT NULL DEFAULT '', ADD COLUMN "cadastral" character varying NOT NULL DEFAULT '', ADD COLUMN "position_code" character varying NOT NULL DEFAULT '';
-- Create index "finding_subject_iin" to table: "findings"
CREATE INDEX "finding_subject_iin" ON "findings" ("subject_iin");
-- Create index "finding_subject_bin" to table: "findings"
CREATE INDEX "finding_subject_bin" ON "findings" ("subject_bin");
-- Create index "finding_money_at_risk" to table: "findings"
CREATE INDEX "finding_money_at_risk" ON "findings" ("money_at_risk");
