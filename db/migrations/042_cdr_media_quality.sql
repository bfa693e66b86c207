-- What the media relay measured on an anchored call, written with its CDR (input for call
-- quality, the NOC's work): RTP packets relayed in both directions, and from the carriers' RTCP
-- reports, when they sent any, the average MOS (times ten), packet loss (%) and jitter (ms).
-- All null for a call with direct media, or one the switch ended itself (its relay is released
-- after the CDR is written).
alter table cdrs
  add column media_packets bigint check (media_packets >= 0),
  add column media_mos_x10 smallint check (media_mos_x10 between 10 and 50),
  add column media_packet_loss_pct smallint check (media_packet_loss_pct between 0 and 100),
  add column media_jitter_ms integer check (media_jitter_ms >= 0);
