-- Stores the response of a call that claimed its Idempotency-Key (idempotency_claim), in the
-- call's own transaction: the change and the response a replay will get commit together.
CREATE OR REPLACE FUNCTION "idempotency_store"(
  p_identity TEXT, p_key TEXT, p_status INTEGER, p_body TEXT, p_headers JSONB
) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
  UPDATE idempotency_record SET response_status = p_status, response_body = p_body, response_headers = p_headers
  WHERE identity_id = p_identity AND key = p_key;
END;
$$;
