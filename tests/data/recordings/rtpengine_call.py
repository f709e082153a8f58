#!/usr/bin/env python3
"""Plays one call through rtpengine over its ng control protocol, with G.711 RTP from Python
sockets, so that rtpengine records it (docs/recordings.md). Made the fixtures beside this file:

    rtpengine --interface=127.0.0.1 --listen-ng=127.0.0.1:42223 --foreground --log-stderr \\
      --table=-1 --recording-dir=/tmp/media-rec --recording-method=pcap \\
      [--recording-format=eth] --port-min=42300 --port-max=42400
    rtpengine_call.py 127.0.0.1:42223 fixture-pcmu@test 0 42500 42502 flag
    META=callsight_call=42 rtpengine_call.py 127.0.0.1:42223 fixture-pcma 8 42510 42512 command

The caller sends 440 Hz for 3 s (no packets from 1.0 to 1.4 s, telephone-event 101 from 2.0 to
2.1 s, its RTP timestamp wrapping), the callee 880 Hz from 0.3 to 2.8 s (its sequence number
wrapping). Also used by tests/sip/test_recording_rtpengine.py.
"""
import math
import os
import socket
import struct
import sys
import time

# -- ng protocol: bencoded dictionaries over UDP, each behind a cookie -------------------------


def bencode(value):
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        return b"d" + b"".join(bencode(k) + bencode(value[k]) for k in sorted(value)) + b"e"
    raise TypeError(value)


def bdecode(data, at=0):
    kind = data[at:at + 1]
    if kind == b"i":
        end = data.index(b"e", at)
        return int(data[at + 1:end]), end + 1
    if kind in (b"l", b"d"):
        at += 1
        items = []
        while data[at:at + 1] != b"e":
            item, at = bdecode(data, at)
            items.append(item)
        if kind == b"l":
            return items, at + 1
        return {items[i].decode(): items[i + 1] for i in range(0, len(items), 2)}, at + 1
    colon = data.index(b":", at)
    length = int(data[at:colon])
    return data[colon + 1:colon + 1 + length], colon + 1 + length


def ng_command(address, command, timeout=3):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        cookie = os.urandom(4).hex().encode()
        sock.sendto(cookie + b" " + bencode(command), address)
        data = sock.recv(65535)
        assert data.startswith(cookie + b" "), data
        return bdecode(data, len(cookie) + 1)[0]


# -- G.711 encoding (ITU-T G.711, as in Sun's reference g711.c) -------------------------------


def _segment(value, ends):
    for i, end in enumerate(ends):
        if value <= end:
            return i
    return len(ends)


def linear_to_ulaw(sample):
    value = sample >> 2
    mask = 0xFF
    if value < 0:
        value, mask = -value, 0x7F
    value = min(value, 8159) + 0x21
    segment = _segment(value, [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((value >> (segment + 1)) & 0xF)) ^ mask


def linear_to_alaw(sample):
    value = sample >> 3
    mask = 0xD5
    if value < 0:
        value, mask = -value - 1, 0x55
    segment = _segment(value, [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])
    if segment >= 8:
        return 0x7F ^ mask
    step = (value >> 1) if segment < 2 else (value >> segment)
    return ((segment << 4) | (step & 0xF)) ^ mask


def tone(hz, count, first, payload_type):
    encode = linear_to_ulaw if payload_type == 0 else linear_to_alaw
    return bytes(encode(int(8000 * math.sin(2 * math.pi * hz * (first + k) / 8000)))
                 for k in range(count))


# -- the call -----------------------------------------------------------------------------------


def sdp(port, payload_types, session):
    names = {0: "PCMU/8000", 8: "PCMA/8000", 101: "telephone-event/8000"}
    lines = ["v=0", "o=- %d 1 IN IP4 127.0.0.1" % session, "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
             "m=audio %d RTP/AVP %s" % (port, " ".join(map(str, payload_types)))]
    lines += ["a=rtpmap:%d %s" % (pt, names[pt]) for pt in payload_types]
    lines += ["a=fmtp:101 0-15", "a=sendrecv", "a=ptime:20"]
    return "\r\n".join(lines) + "\r\n"


def media_port(sdp_bytes):
    for line in sdp_bytes.decode().split("\r\n"):
        if line.startswith("m=audio "):
            return int(line.split()[1])
    raise AssertionError("no m=audio line")


def rtp(payload_type, sequence, timestamp, ssrc, payload, marker=False):
    return struct.pack("!BBHII", 0x80, payload_type | (0x80 if marker else 0), sequence & 0xFFFF,
                       timestamp & 0xFFFFFFFF, ssrc) + payload


def play_call(ng_address, call_id, payload_type=0, caller_port=0, callee_port=0, start="flag",
              metadata=None):
    """Offer, answer, 3 s of RTP each way in real time, delete. start: "flag" (record-call on
    the offer) or "command" (start recording after the answer). Returns the caller's and the
    callee's (address, port)."""
    caller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    callee = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    caller.bind(("127.0.0.1", caller_port))
    callee.bind(("127.0.0.1", callee_port))
    caller_port, callee_port = caller.getsockname()[1], callee.getsockname()[1]
    try:
        offer = {"command": "offer", "call-id": call_id, "from-tag": "caller-tag",
                 "sdp": sdp(caller_port, [payload_type, 101], 1)}
        if start == "flag":
            offer["record-call"] = "yes"
        if metadata:
            offer["metadata"] = metadata
        answer_out = ng_command(ng_address, offer)
        assert answer_out.get("result") == b"ok", answer_out
        to_callee = ("127.0.0.1", media_port(answer_out["sdp"]))
        answered = ng_command(ng_address, {
            "command": "answer", "call-id": call_id, "from-tag": "caller-tag",
            "to-tag": "callee-tag", "sdp": sdp(callee_port, [payload_type, 101], 2)})
        assert answered.get("result") == b"ok", answered
        to_caller = ("127.0.0.1", media_port(answered["sdp"]))
        if start == "command":
            started = ng_command(ng_address, {"command": "start recording", "call-id": call_id})
            assert started.get("result") == b"ok", started
        send_media(caller, callee, to_caller, to_callee, payload_type)
        time.sleep(0.2)
        deleted = ng_command(ng_address, {"command": "delete", "call-id": call_id,
                                          "from-tag": "caller-tag"})
        assert deleted.get("result") == b"ok", deleted
    finally:
        caller.close()
        callee.close()
    return ("127.0.0.1", caller_port), ("127.0.0.1", callee_port)


def send_media(caller, callee, to_caller, to_callee, payload_type):
    """Each side sends to the port rtpengine gave it: the caller to the answer SDP's, the callee
    to the offer SDP's."""
    caller_sequence, callee_sequence = 1000, 65530   # the callee's sequence number wraps
    caller_start, callee_start = 4294960000, 123456  # the caller's timestamp wraps
    began = time.time()
    for tick in range(150):  # 20 ms each
        at = tick * 0.02
        delay = began + at - time.time()
        if delay > 0:
            time.sleep(delay)
        if not 1.0 <= at < 1.4:
            if 2.0 <= at < 2.1:
                event = struct.pack("!BBH", 5, 10, int((at - 2.0) * 8000) + 160)
                packet = rtp(101, caller_sequence, caller_start + 16000, 0x11111111, event,
                             marker=tick == 100)
            else:
                packet = rtp(payload_type, caller_sequence, caller_start + tick * 160, 0x11111111,
                             tone(440, 160, tick * 160, payload_type))
            caller.sendto(packet, to_caller)
            caller_sequence += 1
        if 0.3 <= at < 2.8:
            n = tick - 15
            callee.sendto(rtp(payload_type, callee_sequence, callee_start + n * 160, 0x22222222,
                              tone(880, 160, n * 160, payload_type)), to_callee)
            callee_sequence += 1


if __name__ == "__main__":
    host, port = sys.argv[1].rsplit(":", 1)
    play_call((host, int(port)), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
              int(sys.argv[5]), sys.argv[6] if len(sys.argv) > 6 else "flag",
              os.environ.get("META"))
