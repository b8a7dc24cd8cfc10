-- Drop index "payment_child_id" from table: "payments"
DROP INDEX "payment_child_id";
-- Drop index "payment_child_iin_school_bin" from table: "payments"
DROP INDEX "payment_child_iin_school_bin";
-- Drop index "payment_family_id" from table: "payments"
DROP INDEX "payment_family_id";
-- Drop index "payment_family_platform_id" from table: "payments"
DROP INDEX "payment_family_platform_id";
-- Drop index "payment_payer_bin_recipient_iin" from table: "payments"
DROP INDEX "payment_payer_bin_recipient_iin";
-- Drop index "payment_payer_id" from table: "payments"
DROP INDEX "payment_payer_id";
-- Drop index "payment_recipient_id" from table: "payments"
DROP INDEX "payment_recipient_id";
-- Drop index "payment_recipient_iin_kind" from table: "payments"
DROP INDEX "payment_recipient_iin_kind";
-- Drop index "payment_school_bin_period" from table: "payments"
DROP INDEX "payment_school_bin_period";
-- Drop index "payment_school_id" from table: "payments"
DROP INDEX "payment_school_id";
-- Create index "payment_child_id" to table: "payments"
CREATE INDEX "payment_child_id" ON "payments" ("child_id") WHERE child_id IS NOT NULL;
-- Create index "payment_child_iin_school_bin" to table: "payments"
CREATE INDEX "payment_child_iin_school_bin" ON "payments" ("child_iin", "school_bin") WHERE child_iin IS NOT NULL;
-- Create index "payment_family_id" to table: "payments"
CREATE INDEX "payment_family_id" ON "payments" ("family_id") WHERE family_id IS NOT NULL;
-- Create index "payment_family_platform_id" to table: "payments"
CREATE INDEX "payment_family_platform_id" ON "payments" ("family_platform_id") WHERE family_platform_id IS NOT NULL;
-- Create index "payment_payer_bin_recipient_iin" to table: "payments"
CREATE INDEX "payment_payer_bin_recipient_iin" ON "payments" ("payer_bin", "recipient_iin") WHERE payer_bin IS NOT NULL;
-- Create index "payment_payer_id" to table: "payments"
CREATE INDEX "payment_payer_id" ON "payments" ("payer_id") WHERE payer_id IS NOT NULL;
-- Create index "payment_recipient_id" to table: "payments"
CREATE INDEX "payment_recipient_id" ON "payments" ("recipient_id") WHERE recipient_id IS NOT NULL;
-- Create index "payment_recipient_iin_kind" to table: "payments"
CREATE INDEX "payment_recipient_iin_kind" ON "payments" ("recipient_iin", "kind") WHERE recipient_iin IS NOT NULL;
-- Create index "payment_school_bin_period" to table: "payments"
CREATE INDEX "payment_school_bin_period" ON "payments" ("school_bin", "period") WHERE school_bin IS NOT NULL;
-- Create index "payment_school_id" to table: "payments"
CREATE INDEX "payment_school_id" ON "payments" ("school_id") WHERE school_id IS NOT NULL;
