-- The account view shows the tax id as its last 4 digits, and the Broker API never returns the tax
-- id (nor any part of it), so the mask is kept here, from the opening request. Four digits and
-- nothing else: the CHECK makes it impossible to store a whole tax id in this column.
ALTER TABLE brokerage_accounts ADD COLUMN tax_id_last4 TEXT CHECK (tax_id_last4 IS NULL OR (length(tax_id_last4) = 4 AND tax_id_last4 GLOB '[0-9][0-9][0-9][0-9]'));
