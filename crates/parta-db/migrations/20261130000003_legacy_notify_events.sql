-- Events of the previous release (kind 'notify', ready-made notification text): those
-- already relayed are kept as history under a kind no consumer reads; those still waiting
-- are delivered once by the notifications consumer (docs/adr/0012).
UPDATE outbox SET kind = 'legacy.notify.relayed' WHERE kind = 'notify' AND relayed_at IS NOT NULL;
UPDATE outbox SET kind = 'legacy.notify' WHERE kind = 'notify';
