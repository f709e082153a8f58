"""rtpengine's recording spool as callsightd's --recordings-spool reads it, filled the way
rtpengine fills it, for tests that need recordings without SIP: tests/data/recordings holds a
real call recorded through Kamailio and rtpengine (440 Hz from the caller, 880 Hz from the
answering party, 4 s)."""
import os
import shutil
import tempfile
import urllib.parse
import uuid

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "recordings")
FIXTURE = "kamailio-call-440-880"
FIXTURE_SECONDS = 4.0


class RecordingSpool:
    """A spool and a recordings directory under a new temporary directory."""

    def __init__(self):
        self.workdir = tempfile.mkdtemp(prefix="callsight-rec-")
        self.spool = os.path.join(self.workdir, "spool")
        self.recordings_dir = os.path.join(self.workdir, "recordings")
        for sub in ("pcaps", "metadata"):
            os.makedirs(os.path.join(self.spool, sub))

    def server_args(self):
        return ("--recordings-dir", self.recordings_dir, "--recordings-spool", self.spool)

    def add(self, call_id, metadata_text=None):
        """Puts a finished recording of call_id in the spool as rtpengine does: the pcap under
        pcaps/, then the metadata file moved into metadata/. Returns the metadata path."""
        tag = "%s-%s" % (urllib.parse.quote(call_id, safe=""), uuid.uuid4().hex[:16])
        shutil.copy(os.path.join(DATA, FIXTURE + ".pcap"),
                    os.path.join(self.spool, "pcaps", tag + ".pcap"))
        if metadata_text is None:
            with open(os.path.join(DATA, FIXTURE + ".meta")) as f:
                # rtpengine's own path, which a node sharing the spool may see elsewhere.
                metadata_text = f.read().replace("PCAP_PATH", "/elsewhere/pcaps/" + tag + ".pcap")
        staged = os.path.join(self.workdir, "rtpengine-meta-" + tag + ".txt")
        with open(staged, "w") as f:
            f.write(metadata_text)
        final = os.path.join(self.spool, "metadata", os.path.basename(staged))
        os.rename(staged, final)
        return final

    def mp3_files(self):
        return [os.path.join(d, f) for d, _, files in os.walk(self.recordings_dir)
                for f in files]

    def remove(self):
        shutil.rmtree(self.workdir, ignore_errors=True)
