-- 1 when the e-mail came from the school (import, registration), 0 when the person typed it.
-- Only a school-confirmed e-mail may link a sign-in through an external provider.
ALTER TABLE persons ADD COLUMN email_confirmed BIGINT NOT NULL DEFAULT 0;
