"""`callsight recording-convert`: a real rtpengine recording to a stereo MP3 with the real lame."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest
import wave

from harness import run_cli

RECORDINGS = os.path.join(os.path.dirname(__file__), "..", "data", "recordings")


def fixture(name):
    return os.path.join(RECORDINGS, name)


def zero_crossing_hz(samples, rate=8000):
    crossings = sum(1 for a, b in zip(samples, samples[1:]) if (a < 0) != (b < 0))
    return crossings / 2 / (len(samples) / rate)


class RecordingConvertTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="callsight-bb-recording-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.db = os.path.join(self.dir, "unused.db")

    def decoded_channels(self, mp3):
        """Decodes the MP3 with lame and returns the left and right samples."""
        wav_path = os.path.join(self.dir, "decoded.wav")
        subprocess.run(["lame", "-S", "--decode", mp3, wav_path], check=True,
                       capture_output=True, timeout=60)
        with wave.open(wav_path) as wav:
            self.assertEqual(wav.getnchannels(), 2)
            self.assertEqual(wav.getframerate(), 8000)
            frames = wav.readframes(wav.getnframes())
        samples = [int.from_bytes(frames[i:i + 2], "little", signed=True)
                   for i in range(0, len(frames), 2)]
        return samples[0::2], samples[1::2]

    def test_help_names_the_options(self):
        proc = run_cli(self.db, "recording-convert", "--help")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for option in ("--pcap", "--out", "--metadata", "--caller-address"):
            self.assertIn(option, proc.stdout)

    def test_the_caller_is_left_and_the_callee_right(self):
        out = os.path.join(self.dir, "call.mp3")
        proc = run_cli(self.db, "recording-convert",
                       "--pcap", fixture("pcmu-raw-record-call.pcap"),
                       "--metadata", fixture("pcmu-raw-record-call.meta.txt"), "--out", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("duration_ms: 3000\n", proc.stdout)
        self.assertIn("channels: 2", proc.stdout)
        self.assertIn("caller found by: metadata", proc.stdout)
        self.assertIn("skipped payload type 101 x5", proc.stdout)
        size = int(re.search(r"size_bytes: (\d+)", proc.stdout).group(1))
        self.assertEqual(size, os.path.getsize(out))
        self.assertEqual(sorted(os.listdir(self.dir)), ["call.mp3"])
        left, right = self.decoded_channels(out)
        self.assertAlmostEqual(len(left) / 8000, 3.0, delta=0.1)
        self.assertAlmostEqual(zero_crossing_hz(left[800:7200]), 440, delta=15)
        self.assertAlmostEqual(zero_crossing_hz(right[4000:20000]), 880, delta=15)

    def test_the_callers_address_names_the_side_without_sdp(self):
        out = os.path.join(self.dir, "call.mp3")
        proc = run_cli(self.db, "recording-convert",
                       "--pcap", fixture("pcma-eth-start-recording.pcap"),
                       "--caller-address", "127.0.0.1:42510", "--out", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("caller found by: caller address", proc.stdout)
        left, right = self.decoded_channels(out)
        self.assertAlmostEqual(zero_crossing_hz(left[800:7200]), 440, delta=15)
        self.assertAlmostEqual(zero_crossing_hz(right[4000:20000]), 880, delta=15)

    def test_bad_input_fails_with_a_message_and_no_file(self):
        out = os.path.join(self.dir, "call.mp3")
        cases = {
            "not a pcap": (["--pcap", fixture("pcmu-raw-record-call.meta.txt")], "pcap:"),
            "missing pcap": (["--pcap", os.path.join(self.dir, "none.pcap")], "pcap file"),
            "bad address": (["--pcap", fixture("pcmu-raw-record-call.pcap"),
                             "--caller-address", "caller"], "--caller-address"),
        }
        for name, (args, message) in cases.items():
            with self.subTest(name):
                proc = run_cli(self.db, "recording-convert", *args, "--out", out)
                self.assertEqual(proc.returncode, 1, proc.stdout)
                self.assertIn(message, proc.stderr)
                self.assertFalse(os.path.exists(out))
        self.assertNotEqual(run_cli(self.db, "recording-convert", "--out", out).returncode, 0)


if __name__ == "__main__":
    unittest.main()
