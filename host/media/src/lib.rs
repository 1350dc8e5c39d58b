//! Media engine of the PBX: RTP/RTCP sessions, SDP offer/answer, codecs, DTMF, prompt player, recorder and bridge. It knows nothing of SIP.
