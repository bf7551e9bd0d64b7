-- Webhook deliveries are claimed in one short transaction, sent outside any transaction, and their
-- result recorded in another (issue #17): a transaction held open across the HTTP call kept the audit
-- chainer from sealing any workspace's newer events until the receiver answered.
--
-- claimed_until: a claim's lease; another run (in this or another instance) takes the delivery only
-- after it has passed (the claimer died mid-send). claim_token: whose claim it is, so a run whose
-- lease ran out cannot record over the run that took the delivery over.
ALTER TABLE "webhook_delivery"
  ADD COLUMN "claimed_until" TIMESTAMPTZ(3),
  ADD COLUMN "claim_token" TEXT;
