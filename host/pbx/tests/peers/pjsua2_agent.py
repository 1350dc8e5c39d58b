#!/usr/bin/env python3
"""A scriptable SIP user agent on pjsua2, for the PBX's end-to-end tests.

This copy (for the flow-driven call tests of host/pbx) also plays a WAV
file into its calls and records what it hears to a WAV file.

One account registers to a registrar with digest authentication; the
agent then prints one machine-readable event per line on stdout and
reads one command per line on stdin, so a test drives it like a phone.

Events (stdout):
  READY <sip-port>                     transport up, account created
  REG <code> <reason>                  a REGISTER (or un-REGISTER) ended
  DIALING <uri>                        after `dial`
  INCOMING <remote-uri>                an INVITE arrived (180 sent)
  STATE <pjsip-state> <code>           every call state change
  CONFIRMED                            the call is up (ACK sent/received)
  DISCONNECTED <code> <reason>         the call ended, last status code
  MEDIA <status> <dir>                 audio status: ACTIVE, LOCAL_HOLD,
                                       REMOTE_HOLD, NONE, ERROR
  RX_OFFER <direction>                 a re-INVITE offer: sendrecv,
                                       sendonly, recvonly or inactive
  TSX <role> <method> <code>           a transaction completed (UAC/UAS)
  DTMF <digit> <method>                a digit arrived (RFC2833, SIP_INFO)
  STATS <text>                         a line of `stats` output
  RECORDING <path>                     a call's recorder started (--record)
  RECORDED <path>                      that recording is complete (the call
                                       ended or `stop_record` was given)
  OK <command>                         a command was carried out
  ERROR <command> <message>            a command failed
  BYE                                  the agent is exiting

Commands (stdin):
  dial <uri> | answer [code] | hangup [code] | hold | unhold
  update (an UPDATE with a new SDP offer, RFC 3311)
  dtmf <digits> [rfc2833|info] | register | unregister | quit
  xfer <uri> (blind transfer of the live call, REFER)
  xfer_replaces (attended transfer: the first live call is referred to
                 the last one, REFER with Replaces)
  play <file.wav> | play none (what the live call hears from now on,
                 looped; 8 kHz mono 16-bit)
  stop_record (close the live call's recording now: RECORDED follows)
  stats (the live call's media statistics, as STATS lines: packets,
         loss, jitter, the jitter buffer's discards)

Run with --help for the options. Needs the PyPI package pjsua2-python
(scripts/install-test-peers.sh installs it).
"""

import argparse
import ctypes
import os
import select
import sys
import time

try:
    import pjsua2 as pj
except ImportError:
    sys.stderr.write(
        "pjsua2_agent: the pjsua2 module is missing: run "
        "scripts/install-test-peers.sh and use its venv's python\n"
    )
    sys.exit(2)


# pjlib logs to C stdout (fd 1): events go to a duplicate of the real
# stdout, and fd 1 is pointed at stderr (or the --log file, see
# route_pjsip_log).
EVENTS = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)


def emit(*words):
    """Print one event line and flush it at once."""
    EVENTS.write(" ".join(str(w) for w in words) + "\n")
    EVENTS.flush()


MEDIA_STATUS = {
    pj.PJSUA_CALL_MEDIA_NONE: "NONE",
    pj.PJSUA_CALL_MEDIA_ACTIVE: "ACTIVE",
    pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: "LOCAL_HOLD",
    pj.PJSUA_CALL_MEDIA_REMOTE_HOLD: "REMOTE_HOLD",
    pj.PJSUA_CALL_MEDIA_ERROR: "ERROR",
}

DTMF_METHOD = {
    pj.PJSUA_DTMF_METHOD_RFC2833: "RFC2833",
    pj.PJSUA_DTMF_METHOD_SIP_INFO: "SIP_INFO",
}

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


def sdp_direction(sdp):
    """The direction attribute of the first audio stream (or the session)
    of an SDP body; sendrecv when none is given (RFC 4566 section 6)."""
    session_dir = "sendrecv"
    audio_dir = None
    in_audio = False
    for line in sdp.splitlines():
        line = line.strip()
        if line.startswith("m="):
            if in_audio:
                break
            in_audio = line.startswith("m=audio")
        elif line.startswith("a=") and line[2:] in DIRECTIONS:
            if in_audio:
                audio_dir = line[2:]
            else:
                session_dir = line[2:]
    return audio_dir or session_dir


class Agent:
    """What the callbacks and the command loop share."""

    def __init__(self, args):
        self.args = args
        self.account = None
        self.calls = []
        # (deadline, call, code) answers waiting for their delay.
        self.pending_answers = []
        self.quit = False
        # The WAV played into calls (None: silence) and the recording.
        self.play = args.play
        self.recordings = 0


def call_audio(call):
    """The call's audio media, or None while it has none."""
    try:
        return call.getAudioMedia(-1)
    except pj.Error:
        return None


def start_player(agent, call):
    """Play `agent.play` (looped) into `call`, replacing what played."""
    audio = call_audio(call)
    if call.player is not None and audio is not None:
        try:
            call.player.stopTransmit(audio)
        except pj.Error:
            pass
    call.player = None
    if agent.play is None or audio is None:
        return
    player = pj.AudioMediaPlayer()
    player.createPlayer(agent.play, 0)
    player.startTransmit(audio)
    call.player = player


def start_recorder(agent, call):
    """Record what `call` hears into --record's directory, one file per
    call (call-1.wav, call-2.wav...)."""
    if agent.args.record is None or call.recorded:
        return
    audio = call_audio(call)
    if audio is None:
        return
    if call.recorder is not None:
        # A new stream after an offer/answer (pjsua2 locks the codec with
        # one): connect it to the same recording again.
        audio.startTransmit(call.recorder)
        return
    agent.recordings += 1
    path = os.path.join(agent.args.record, "call-%d.wav" % agent.recordings)
    recorder = pj.AudioMediaRecorder()
    recorder.createRecorder(path)
    audio.startTransmit(recorder)
    call.recorder = recorder
    call.recorder_path = path
    emit("RECORDING", path)


def stop_recorder(call):
    """Close a call's recording (its WAV header is written on destruction)."""
    if call.recorder is None:
        return
    call.recorder = None
    call.recorded = True
    emit("RECORDED", call.recorder_path)


class AgentCall(pj.Call):
    """A call that reports its events."""

    def __init__(self, agent, acc, call_id=pj.PJSUA_INVALID_ID):
        pj.Call.__init__(self, acc, call_id)
        self.agent = agent
        self.ended = False
        self.player = None
        self.media_up = False
        self.recorder = None
        self.recorder_path = None
        self.recorded = False

    def onCallState(self, prm):
        ci = self.getInfo()
        emit("STATE", ci.stateText.replace(" ", "_"), ci.lastStatusCode)
        if ci.state == pj.PJSIP_INV_STATE_CONFIRMED:
            emit("CONFIRMED")
        elif ci.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            reason = (ci.lastReason or "").replace("\n", " ")
            emit("DISCONNECTED", ci.lastStatusCode, reason)
            self.ended = True

    def onCallMediaState(self, prm):
        ci = self.getInfo()
        for media in ci.media:
            if media.type == pj.PJMEDIA_TYPE_AUDIO:
                emit("MEDIA", MEDIA_STATUS.get(media.status, media.status), media.dir)
                if media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                    # A new stream after an offer/answer: attach again.
                    self.media_up = True
                    start_player(self.agent, self)
                    start_recorder(self.agent, self)

    def onCallRxOffer(self, prm):
        emit("RX_OFFER", sdp_direction(prm.offer.wholeSdp))

    def onCallTsxState(self, prm):
        # Once per transaction: when it completes, or when it terminates
        # without completing (an INVITE answered 2xx).
        state = prm.e.body.tsxState
        tsx = state.tsx
        if tsx.state == pj.PJSIP_TSX_STATE_COMPLETED or (
            tsx.state == pj.PJSIP_TSX_STATE_TERMINATED
            and state.prevState != pj.PJSIP_TSX_STATE_COMPLETED
            and tsx.statusCode >= 200
        ):
            role = "UAC" if tsx.role == pj.PJSIP_ROLE_UAC else "UAS"
            emit("TSX", role, tsx.method, tsx.statusCode)

    def onDtmfDigit(self, prm):
        emit("DTMF", prm.digit, DTMF_METHOD.get(prm.method, prm.method))


class AgentAccount(pj.Account):
    """The account: reports registrations, rings and answers per options."""

    def __init__(self, agent):
        pj.Account.__init__(self)
        self.agent = agent

    def onRegState(self, prm):
        emit("REG", prm.code, (prm.reason or "").replace("\n", " "))

    def onIncomingCall(self, prm):
        agent = self.agent
        call = AgentCall(agent, self, prm.callId)
        agent.calls.append(call)
        emit("INCOMING", call.getInfo().remoteUri)
        op = pj.CallOpParam()
        op.statusCode = 180
        call.answer(op)
        code = agent.args.answer
        if code is not None:
            deadline = time.monotonic() + agent.args.answer_delay_ms / 1000.0
            agent.pending_answers.append((deadline, call, code))


def live_call(agent):
    """The most recent call not yet ended, or None."""
    for call in reversed(agent.calls):
        if not call.ended:
            return call
    return None


def finish_call(call, code):
    """Answer with a 2xx or 1xx, or end the call with another code."""
    op = pj.CallOpParam(True)
    op.statusCode = code
    if code < 300:
        call.answer(op)
    else:
        call.hangup(op)


def run_command(agent, ep, line):
    """Carry out one stdin command; errors become ERROR events."""
    words = line.split()
    if not words:
        return
    cmd, rest = words[0], words[1:]
    try:
        call = live_call(agent)
        if cmd == "dial":
            if not rest:
                raise ValueError("dial needs a SIP URI")
            call = AgentCall(agent, agent.account)
            agent.calls.append(call)
            call.makeCall(rest[0], pj.CallOpParam(True))
            emit("DIALING", rest[0])
        elif cmd in ("answer", "hangup", "hold", "unhold", "update", "dtmf"):
            if call is None:
                raise ValueError("no call in progress")
            if cmd == "answer":
                finish_call(call, int(rest[0]) if rest else 200)
            elif cmd == "hangup":
                op = pj.CallOpParam(True)
                if rest:
                    op.statusCode = int(rest[0])
                call.hangup(op)
            elif cmd == "hold":
                call.setHold(pj.CallOpParam(True))
            elif cmd == "unhold":
                op = pj.CallOpParam(True)
                op.opt.flag = pj.PJSUA_CALL_UNHOLD
                call.reinvite(op)
            elif cmd == "update":
                call.update(pj.CallOpParam(True))
            else:
                if not rest:
                    raise ValueError("dtmf needs digits")
                method = rest[1] if len(rest) > 1 else "rfc2833"
                if method == "info":
                    param = pj.CallSendDtmfParam()
                    param.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
                    param.digits = rest[0]
                    call.sendDtmf(param)
                elif method == "rfc2833":
                    call.dialDtmf(rest[0])
                else:
                    raise ValueError("dtmf method is rfc2833 or info")
        elif cmd == "xfer":
            if call is None or not rest:
                raise ValueError("xfer needs a live call and a URI")
            call.xfer(rest[0], pj.CallOpParam(True))
        elif cmd == "xfer_replaces":
            live = [c for c in agent.calls if not c.ended]
            if len(live) < 2:
                raise ValueError("xfer_replaces needs two live calls")
            live[0].xferReplaces(live[-1], pj.CallOpParam(True))
        elif cmd == "play":
            if not rest:
                raise ValueError("play needs a WAV file or none")
            agent.play = None if rest[0] == "none" else rest[0]
            if call is not None and call.media_up:
                start_player(agent, call)
        elif cmd == "stats":
            if call is None:
                raise ValueError("no call in progress")
            for stat in call.dump(True, "").splitlines():
                if stat.strip():
                    emit("STATS", stat.rstrip())
        elif cmd == "stop_record":
            if call is None:
                raise ValueError("no call in progress")
            stop_recorder(call)
        elif cmd == "register":
            agent.account.setRegistration(True)
        elif cmd == "unregister":
            agent.account.setRegistration(False)
        elif cmd == "quit":
            agent.quit = True
        else:
            raise ValueError(
                "unknown command; use dial, answer, hangup, hold, unhold, "
                "update, dtmf, xfer, xfer_replaces, play, stats, stop_record, register, "
                "unregister or quit"
            )
        emit("OK", cmd)
    except (pj.Error, ValueError, IndexError) as e:
        info = e.info() if isinstance(e, pj.Error) else str(e)
        emit("ERROR", cmd, str(info).replace("\n", " "))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--user", required=True, help="extension and digest user")
    p.add_argument("--password", required=True, help="digest password")
    p.add_argument("--registrar", required=True, help="host:port of the PBX (UDP)")
    p.add_argument("--port", type=int, required=True, help="local SIP port (UDP, 127.0.0.1)")
    p.add_argument(
        "--algorithm",
        choices=("any", "md5", "sha256"),
        default="any",
        help="digest algorithm the credential is restricted to",
    )
    p.add_argument(
        "--answer",
        type=int,
        default=None,
        help="answer incoming calls with this code (200, 486, 603...); "
        "without it they ring until answered or hung up by command",
    )
    p.add_argument("--answer-delay-ms", type=int, default=0)
    p.add_argument("--register-timeout", type=int, default=60, help="REGISTER expiry, seconds")
    p.add_argument("--play", default=None, help="WAV played (looped) into every call")
    p.add_argument(
        "--record",
        default=None,
        help="directory where what each call hears is recorded (call-N.wav)",
    )
    p.add_argument("--log", default=None, help="pjsip log file (level 5, SIP messages)")
    return p.parse_args()


def route_pjsip_log(path):
    """Point pjsip's console log (C stdout, fd 1) at `path`, unbuffered.

    pjsip's own log file is written through a stdio buffer that is never
    flushed, so a test reading it right after an event could miss the
    messages that led to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.close(fd)
    libc = ctypes.CDLL(None)
    c_stdout = ctypes.c_void_p.in_dll(libc, "stdout")
    libc.setvbuf(c_stdout, None, 2, 0)  # _IONBF


def create_endpoint(args):
    if args.log:
        route_pjsip_log(args.log)
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.uaConfig.userAgent = "pjsua2-agent"
    cfg.uaConfig.stunServer = pj.StringVector()
    if args.log:
        cfg.logConfig.level = 5
        cfg.logConfig.consoleLevel = 5
        cfg.logConfig.msgLogging = True
    else:
        cfg.logConfig.level = 0
        cfg.logConfig.consoleLevel = 0
    cfg.medConfig.clockRate = 8000
    cfg.medConfig.sndClockRate = 8000
    cfg.medConfig.hasIoqueue = True
    ep.libInit(cfg)
    tcfg = pj.TransportConfig()
    tcfg.port = args.port
    tcfg.boundAddress = "127.0.0.1"
    tcfg.publicAddress = "127.0.0.1"
    ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
    ep.libStart()
    ep.audDevManager().setNullDev()
    return ep


def create_account(agent, args):
    host = args.registrar
    acfg = pj.AccountConfig()
    acfg.idUri = "sip:%s@%s" % (args.user, host)
    acfg.regConfig.registrarUri = "sip:%s" % host
    acfg.regConfig.timeoutSec = args.register_timeout
    acfg.regConfig.retryIntervalSec = 0
    cred = pj.AuthCredInfo("digest", "*", args.user, 0, args.password)
    if args.algorithm == "md5":
        cred.algoType = pj.PJSIP_AUTH_ALGORITHM_MD5
    elif args.algorithm == "sha256":
        cred.algoType = pj.PJSIP_AUTH_ALGORITHM_SHA256
    acfg.sipConfig.authCreds.append(cred)
    acfg.natConfig.contactRewriteUse = 0
    acfg.natConfig.viaRewriteUse = 0
    acfg.natConfig.sdpNatRewriteUse = 0
    acfg.natConfig.sipStunUse = pj.PJSUA_STUN_USE_DISABLED
    acfg.natConfig.mediaStunUse = pj.PJSUA_STUN_USE_DISABLED
    # No re-INVITE right after the answer to lock the codec: it restarts
    # the stream, and the recording would miss audio at the call's start.
    acfg.mediaConfig.lockCodecEnabled = False
    acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    acfg.mediaConfig.transportConfig.publicAddress = "127.0.0.1"
    account = AgentAccount(agent)
    account.create(acfg)
    return account


def main():
    args = parse_args()
    agent = Agent(args)
    try:
        ep = create_endpoint(args)
        agent.account = create_account(agent, args)
    except pj.Error as e:
        sys.stderr.write("pjsua2_agent: could not start: %s\n" % e.info())
        return 1
    emit("READY", args.port)

    os.set_blocking(0, False)
    buffered = b""
    while not agent.quit:
        ep.libHandleEvents(20)
        now = time.monotonic()
        due = [p for p in agent.pending_answers if p[0] <= now]
        agent.pending_answers = [p for p in agent.pending_answers if p[0] > now]
        for _, call, code in due:
            if not call.ended:
                try:
                    finish_call(call, code)
                except pj.Error as e:
                    emit("ERROR", "answer", e.info().replace("\n", " "))
        # Drop ended calls here, outside their callbacks; a recording
        # ends with its call.
        for c in agent.calls:
            if c.ended:
                stop_recorder(c)
                c.player = None
        agent.calls = [c for c in agent.calls if not c.ended]
        readable, _, _ = select.select([0], [], [], 0)
        if not readable:
            continue
        chunk = os.read(0, 4096)
        if not chunk:
            break  # the test went away
        buffered += chunk
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            run_command(agent, ep, line.decode("utf-8", "replace").strip())

    # Hang up, let the BYEs go out, drop every Call before libDestroy.
    ep.hangupAllCalls()
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        ep.libHandleEvents(20)
    for c in agent.calls:
        stop_recorder(c)
        c.player = None
    agent.calls = []
    agent.pending_answers = []
    agent.account.shutdown()
    agent.account = None
    emit("BYE")
    ep.libDestroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
