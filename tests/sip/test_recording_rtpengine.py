"""A call recorded by the real rtpengine (pcap method) becomes a stereo MP3: the facts of
docs/recordings.md, "How a recording is made", checked against the installed rtpengine, then
`callsight recording-convert` on what it wrote."""
import glob
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "data", "recordings"))
import rtpengine_call  # noqa: E402

CLI = os.path.join(os.environ.get("CALLSIGHT_BIN_DIR", os.path.join(HERE, "..", "..", "build",
                                                                      "bin")), "callsight")


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pcap_records(path):
    """(link type, [(source port, destination port, payload type)]) of a raw-IP pcap."""
    with open(path, "rb") as f:
        data = f.read()
    magic, _, _, _, _, _, link_type = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4, hex(magic)
    records, at = [], 24
    while at < len(data):
        _, _, length, _ = struct.unpack("<IIII", data[at:at + 16])
        packet = data[at + 16:at + 16 + length]
        header = (packet[0] & 15) * 4
        source, destination = struct.unpack("!HH", packet[header:header + 4])
        records.append((source, destination, packet[header + 9] & 0x7F))
        at += 16 + length
    return link_type, records


def zero_crossing_hz(samples, rate=8000):
    crossings = sum(1 for a, b in zip(samples, samples[1:]) if (a < 0) != (b < 0))
    return crossings / 2 / (len(samples) / rate)


@unittest.skipIf(shutil.which("rtpengine") is None or shutil.which("lame") is None,
                 "needs rtpengine (rtpengine-daemon, scripts/install-sip-deps) and lame")
class RtpengineRecordingTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="callsight-rtpengine-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.ng = ("127.0.0.1", free_udp_port())
        # rtpengine skips ports of its range that are taken; a random range keeps two runs apart.
        port_min = random.randrange(20000, 59000, 2)
        self.log = open(os.path.join(self.dir, "rtpengine.log"), "w")
        self.addCleanup(self.log.close)
        self.rtpengine = subprocess.Popen(
            ["rtpengine", "--interface=127.0.0.1", "--listen-ng=%s:%d" % self.ng, "--foreground",
             "--log-stderr", "--table=-1", "--delete-delay=0", "--recording-method=pcap",
             "--recording-dir=" + os.path.join(self.dir, "rec"),
             "--port-min=%d" % port_min, "--port-max=%d" % (port_min + 200)],
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        self.addCleanup(self.stop_rtpengine)
        self.wait_for_ping()

    def stop_rtpengine(self):
        self.rtpengine.terminate()
        try:
            self.rtpengine.wait(10)
        except subprocess.TimeoutExpired:
            self.rtpengine.kill()
            self.rtpengine.wait()

    def wait_for_ping(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if rtpengine_call.ng_command(self.ng, {"command": "ping"}, 0.2).get(
                        "result") == b"pong":
                    return
            except (socket.timeout, ConnectionRefusedError):
                pass
            self.assertIsNone(self.rtpengine.poll(), "rtpengine exited; see its log")
        self.fail("rtpengine did not answer ping")

    def wait_for_metadata(self):
        """The metadata file's move to metadata/ says the recording is complete."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            found = glob.glob(os.path.join(self.dir, "rec", "metadata", "*.txt"))
            if found:
                return found[0]
            time.sleep(0.1)
        self.fail("no metadata file in rec/metadata")

    def test_a_recorded_call_becomes_the_callers_tone_left_and_the_callees_right(self):
        caller, callee = rtpengine_call.play_call(self.ng, "e2e@callsight", 0)
        metadata_path = self.wait_for_metadata()
        with open(metadata_path) as f:
            metadata = f.read()
        pcap = metadata.splitlines()[0]
        self.assertEqual(os.path.dirname(pcap), os.path.join(self.dir, "rec", "pcaps"))
        self.assertTrue(os.path.basename(pcap).startswith("e2e%40callsight-"), pcap)
        self.assertIn("SDP mode: offer", metadata)
        self.assertIn("SDP mode: answer", metadata)
        answer_sdp = metadata[metadata.index("SDP mode: answer"):]
        caller_facing_port = int(answer_sdp.split("m=audio ")[1].split()[0])

        # Only what rtpengine received: the caller's packets to the answer SDP's port, the
        # callee's to the other one; raw IP (link type 101) by default.
        link_type, records = pcap_records(pcap)
        self.assertEqual(link_type, 101)
        from_caller = [r for r in records if r[0] == caller[1]]
        from_callee = [r for r in records if r[0] == callee[1]]
        self.assertEqual(len(from_caller) + len(from_callee), len(records))
        self.assertEqual({r[1] for r in from_caller}, {caller_facing_port})
        self.assertEqual(len(from_caller), 130)
        self.assertEqual(len(from_callee), 125)

        out = os.path.join(self.dir, "call.mp3")
        proc = subprocess.run([CLI, "recording-convert", "--pcap", pcap, "--metadata",
                               metadata_path, "--out", out],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("caller found by: metadata", proc.stdout)
        self.assertIn("caller: 125 audio packets, 0 lost", proc.stdout)
        self.assertIn("skipped payload type 101 x5", proc.stdout)
        duration_ms = int(proc.stdout.split("duration_ms: ")[1].split()[0])
        self.assertAlmostEqual(duration_ms, 3000, delta=40)

        decoded = os.path.join(self.dir, "decoded.wav")
        subprocess.run(["lame", "-S", "--decode", out, decoded], check=True, timeout=60,
                       capture_output=True)
        with wave.open(decoded) as wav:
            self.assertEqual(wav.getnchannels(), 2)
            self.assertAlmostEqual(wav.getnframes() / 8000, duration_ms / 1000, delta=0.1)
            frames = wav.readframes(wav.getnframes())
        samples = [int.from_bytes(frames[i:i + 2], "little", signed=True)
                   for i in range(0, len(frames), 2)]
        left, right = samples[0::2], samples[1::2]
        self.assertAlmostEqual(zero_crossing_hz(left[800:7200]), 440, delta=15)
        self.assertAlmostEqual(zero_crossing_hz(right[4000:20000]), 880, delta=15)


if __name__ == "__main__":
    unittest.main()
