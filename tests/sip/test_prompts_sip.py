"""The recording notice and the whisper are heard (docs/recordings.md, "Notice and whisper").

sipp caller -> Kamailio edge (against fake_switch.py) -> sipp gateway, both sending a tone as
G.711 RTP (the caller 440 Hz, the answering party 880 Hz), the media relayed by the real
rtpengine. tcpdump captures the RTP that arrives at each party's media port on loopback; the
test decodes it and checks what each party heard, in order:

- the caller: the recording notice (speech, its length) before the answering party's tone;
- the answering party: the source's whisper (speech, its length: the source's own prompt,
  not the generic one) before the caller's tone, nothing of the caller's tone meanwhile;
- a call without notice, whisper or recording: its media never passes rtpengine.

Run from tests/sip:  python3 -m unittest -v test_prompts_sip
Needs kamailio, sipp, rtpengine, sox, espeak-ng and tcpdump (with the right to capture).
"""
import json
import math
import os
import shutil
import struct
import subprocess
import time
import unittest
import uuid

from sip_harness import (HERE, ROOT, RtpEngine, SipCallsMixin, free_port, missing_tools,
                         read_json_lines, read_lines)

SECRET = "prompts-" + uuid.uuid4().hex[:8]
NOTICE_AND_WHISPER = "+46850000301"
PLAIN = "+46850000100"
WHISPER_SOURCE = "7"
WHISPER_TEXT = "Radio Stockholm, calling about the summer campaign."
PACKET_S = 0.02  # rtpengine plays a prompt in 20 ms packets


def tone(path, hertz, seconds=2):
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-t", "ul", path, "synth",
                    str(seconds), "sine", str(hertz)], check=True, timeout=30)


def wav_seconds(path):
    return float(subprocess.run(["soxi", "-D", path], capture_output=True, text=True,
                                check=True).stdout)


def ulaw_to_linear(byte):
    byte = ~byte & 0xFF
    t = ((byte & 0x0F) << 3) + 0x84
    t <<= (byte & 0x70) >> 4
    return (0x84 - t) if byte & 0x80 else (t - 0x84)


def alaw_to_linear(byte):
    byte ^= 0x55
    t = (byte & 0x0F) << 4
    seg = (byte & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if byte & 0x80 else -t


def tone_share(samples, hertz):
    """The share of the samples' energy at `hertz` (Goertzel): about 1 for a pure tone."""
    energy = sum(s * s for s in samples)
    if energy == 0:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * hertz / 8000)
    s1 = s2 = 0.0
    for s in samples:
        s1, s2 = s + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return min(1.0, 2 * power / (len(samples) * energy))


def read_rtp(pcap):
    """[(arrival time, source port, destination port, samples)] of the G.711 RTP packets in a
    tcpdump capture of loopback (link type Linux cooked or Ethernet or raw/null)."""
    with open(pcap, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    link_header = {1: 14, 113: 16, 276: 20, 0: 4, 101: 0}[linktype]
    packets, at = [], 24
    while at + 16 <= len(data):
        sec, usec, caplen, _ = struct.unpack(endian + "IIII", data[at:at + 16])
        frame = data[at + 16:at + 16 + caplen]
        at += 16 + caplen
        ip = frame[link_header:]
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        udp = ip[(ip[0] & 0x0F) * 4:]
        sport, dport = struct.unpack("!HH", udp[:4])
        rtp = udp[8:]
        if len(rtp) < 12 or rtp[0] >> 6 != 2:
            continue
        payload_type = rtp[1] & 0x7F
        payload = rtp[12 + 4 * (rtp[0] & 0x0F):]
        if payload_type == 0:
            samples = [ulaw_to_linear(b) for b in payload]
        elif payload_type == 8:
            samples = [alaw_to_linear(b) for b in payload]
        else:
            continue
        packets.append((sec + usec / 1e6, sport, dport, samples))
    return packets


class Capture:
    """tcpdump on loopback, UDP to the given ports, into a pcap file."""

    def __init__(self, path, ports):
        self.path = path
        ports_filter = " or ".join("dst port %d" % p for p in ports)
        self.proc = subprocess.Popen(
            ["tcpdump", "-i", "lo", "-U", "-n", "-w", path, "udp and (%s)" % ports_filter],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()  # "listening on lo, ..." once it captures
        if "listening" not in line:
            self.proc.kill()
            raise RuntimeError("tcpdump did not start: " + line + self.proc.stderr.read())

    def stop(self):
        time.sleep(0.2)
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stderr.close()


@unittest.skipIf(missing_tools("rtpengine", "sox", "espeak-ng", "tcpdump"),
                 "needs kamailio, sipp, rtpengine, sox, espeak-ng and tcpdump")
class PromptsHeardTest(SipCallsMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.make_sip_tmp()
        probe = Capture(os.path.join(cls.tmp, "probe.pcap"), [free_port()])
        probe.stop()
        cls.prompts = os.path.join(cls.tmp, "prompts")
        os.makedirs(cls.prompts)
        for name in ("recording-notice.wav", "whisper.wav"):
            shutil.copy(os.path.join(ROOT, "deploy", "prompts", name), cls.prompts)
        subprocess.run([os.path.join(ROOT, "scripts", "make-prompts"), "--dir", cls.prompts,
                        "--whisper", WHISPER_SOURCE, WHISPER_TEXT],
                       check=True, capture_output=True, timeout=30)
        routes = {
            NOTICE_AND_WHISPER: {"action": "forward", "destination": "+46890510",
                                 "caller_id": "+46700000001", "record": "1", "notice": "1",
                                 "whisper": WHISPER_SOURCE, "cdr_id": "31"},
            PLAIN: {"action": "forward", "destination": "+46890510",
                    "caller_id": "+46700000001", "record": "0", "cdr_id": "32"},
        }
        routes_file = os.path.join(cls.tmp, "routes.json")
        cls.switch_log = os.path.join(cls.tmp, "switch.jsonl")
        with open(routes_file, "w") as f:
            json.dump(routes, f)
        cls.switch = subprocess.Popen(
            ["python3", os.path.join(HERE, "fake_switch.py"), "--port", "0", "--secret",
             SECRET, "--log", cls.switch_log, "--routes", routes_file],
            stdout=subprocess.PIPE, text=True)
        cls.addClassCleanup(cls._stop_switch)
        switch_url = cls.switch.stdout.readline().split()[-1]
        cls.rtpengine = RtpEngine(cls.tmp)
        cls.addClassCleanup(cls.rtpengine.stop)
        cls.rtpengine.start()
        cls.start_edge(switch_url, SECRET, rtpengine=cls.rtpengine, prompts_dir=cls.prompts)
        tone(os.path.join(cls.tmp, "caller.ulaw"), 440)
        tone(os.path.join(cls.tmp, "callee.ulaw"), 880)

    @classmethod
    def _stop_switch(cls):
        cls.switch.terminate()
        cls.switch.wait(timeout=10)
        cls.switch.stdout.close()

    def call_with_capture(self, dialled, talk_ms):
        """One answered call with both tones; returns the RTP packets the caller and the
        answering party received."""
        caller_port, callee_port = free_port(), free_port()
        capture = Capture(os.path.join(self.tmp, f"rtp-{uuid.uuid4().hex[:6]}.pcap"),
                          [caller_port, callee_port])
        try:
            self.start_gateway("uas_answer_rtp.xml",
                               extra_args=["-mi", "127.0.0.1", "-mp", str(callee_port)])
            _, code, log, _ = self.dial(dialled, scenario="uac_rtp.xml", duration_ms=talk_ms,
                                        extra_args=["-mi", "127.0.0.1", "-mp", str(caller_port)])
        finally:
            capture.stop()
        self.assertEqual(code, 0, log)
        self.assertIn("BYE 200", log)
        packets = read_rtp(capture.path)
        return ([p for p in packets if p[2] == caller_port],
                [p for p in packets if p[2] == callee_port])

    def assert_prompt_then_tone(self, packets, prompt_seconds, other_tone, own_tone, who):
        """The first packets a party received are the prompt (speech, not a tone; as many
        20 ms packets as the prompt lasts), then the other party's tone arrives."""
        first_tone = next((i for i, p in enumerate(packets)
                           if tone_share(p[3], other_tone) > 0.8), None)
        self.assertIsNotNone(first_tone, f"{who} never heard the other party's tone")
        prompt = packets[:first_tone]
        expected = round(prompt_seconds / PACKET_S)
        self.assertAlmostEqual(len(prompt), expected, delta=4,
                               msg=f"{who}: {len(prompt)} packets before the tone")
        self.assertGreaterEqual(packets[first_tone][0] - prompt[0][0], prompt_seconds - 0.3)
        # Speech: loud packets, none of them either party's tone.
        loud = [p for p in prompt if max(abs(s) for s in p[3]) > 2000]
        self.assertGreater(len(loud), len(prompt) / 3, who)
        for p in prompt:
            self.assertLess(tone_share(p[3], own_tone), 0.8, f"{who}: own tone in the prompt")
            self.assertLess(tone_share(p[3], other_tone), 0.8, f"{who}: tone in the prompt")
        # All of it from rtpengine's media ports.
        first = self.rtpengine.first_media_port
        self.assertTrue(all(first <= p[1] < first + 20 for p in packets), who)

    def test_the_caller_hears_the_notice_and_the_answering_party_the_whisper(self):
        notice = wav_seconds(os.path.join(self.prompts, "recording-notice.wav"))
        whisper = wav_seconds(os.path.join(self.prompts, f"whisper-{WHISPER_SOURCE}.wav"))
        generic = wav_seconds(os.path.join(self.prompts, "whisper.wav"))
        self.assertGreater(abs(whisper - generic), 0.5)  # the test tells them apart
        started = time.monotonic()
        to_caller, to_callee = self.call_with_capture(NOTICE_AND_WHISPER,
                                                      talk_ms=int(whisper * 1000) + 1500)
        self.assertGreater(time.monotonic() - started, notice)  # the call waited for it
        self.assert_prompt_then_tone(to_caller, notice, 880, 440, "caller")
        self.assert_prompt_then_tone(to_callee, whisper, 440, 880, "answering party")

    def test_a_caller_who_hangs_up_during_the_notice_is_never_forwarded(self):
        gateway_log = self.start_gateway("uas_answer.xml")
        notice = wav_seconds(os.path.join(self.prompts, "recording-notice.wav"))
        call_id, code, log, took = self.dial(NOTICE_AND_WHISPER, scenario="uac_cancel_notice.xml",
                                             duration_ms=500)
        self.assertEqual(code, 0, log)
        self.assertIn("EARLY 183", log)
        self.assertIn("FINAL 487", log)
        self.assertLess(took, notice - 1)  # the 487 came at the CANCEL, not after the notice
        time.sleep(notice + 1 - took)  # past the notice: the edge must not forward the call then
        self.assertFalse(any("INVITE" in line for line in read_lines(gateway_log)))
        events = [r["body"] for r in read_json_lines(self.switch_log)
                  if (r.get("body") or {}).get("call_id") == call_id
                  and r["path"] == "/switch/events/batch"]
        self.assertEqual([(e["event"], e["sip_status"]) for e in events], [("failed", "487")])

    def test_a_call_without_prompts_or_recording_stays_proxy_only(self):
        to_caller, to_callee = self.call_with_capture(PLAIN, talk_ms=1000)
        self.assertTrue(to_caller and to_callee)
        first = self.rtpengine.first_media_port
        for p in to_caller + to_callee:
            self.assertFalse(first <= p[1] < first + 20, "media passed rtpengine")
        self.assertGreater(tone_share(to_caller[0][3], 880), 0.8)
        self.assertGreater(tone_share(to_callee[0][3], 440), 0.8)


if __name__ == "__main__":
    unittest.main()
